"""回访 for auditors: draw a visit list, record visits (a bad rating opens a rectification), close
rectifications; the applicant's phone is masked until revealed, each reveal on the audit log."""

from __future__ import annotations

import reflex as rx

from app.rules.calendar import clock

from app.rules.supervision import return_visits
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.supervision.return_visits import ASPECTS, CHANNELS, LEVELS, STATUS
from app.rules.people.roles import AUDITOR
from app.state.auth import AuthState, to_int


def _ratings(ratings: dict) -> str:
    return "；".join(f"{label}：{LEVELS[int(ratings[a])]}" for a, label in ASPECTS.items() if a in ratings)


def _row(r: return_visits.VisitRow) -> dict[str, str]:
    v = r.visit
    return {"id": str(v.id), "case_id": str(r.case.id), "case_no": r.case.case_no, "item": r.item_name,
            "approver": f"{r.approver.name}（{r.approver.staff_no}）",
            "decided": local(r.case.decided_at, "%Y-%m-%d") if r.case.decided_at else "",
            "applicant": r.case.applicant_name, "phone": r.applicant_phone_masked or "未登记",
            "has_phone": "1" if r.applicant_phone_masked else "",
            "status": STATUS[r.status], "state": r.status,
            "visited": local(v.visited_at) if v.visited_at else "",
            "channel": CHANNELS.get(v.channel or "", ""), "ratings": _ratings(v.ratings), "comments": v.comments,
            "due": v.rectification_due.isoformat() if v.rectification_due else "",
            "overdue": "1" if r.overdue else "", "late": "1" if r.closed_late else "",
            "closed": local(v.closed_at) if v.closed_at else "",
            "verification": v.verification or "", "closing_note": v.closing_note or ""}


class VisitsState(AuthState):
    rows: list[dict[str, str]] = []
    rectifications: list[dict[str, str]] = []
    status_filter: str = "all"
    revealed: dict[str, str] = {}  # visit id -> the full phone, shown after an audited reveal
    recording: str = ""  # the visit whose record dialog is open
    closing: str = ""  # the visit whose rectification close dialog is open
    default_from: str = ""
    default_to: str = ""

    def _reload(self, principal) -> None:
        status = self.status_filter if self.status_filter in STATUS else ""
        self.rows = [_row(r) for r in return_visits.visits(principal, status)]
        self.rectifications = [_row(r) for r in return_visits.rectifications(principal)]

    @rx.event
    def load(self):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        today = clock.today()
        self.default_from, self.default_to = today.replace(day=1).isoformat(), today.isoformat()
        self.revealed, self.recording, self.closing = {}, "", ""
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def set_filter(self, value: str | list[str]):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self.status_filter = value if isinstance(value, str) and value in STATUS else "all"
        self._reload(principal)

    @rx.event
    def set_recording(self, visit_id: str, is_open: bool):
        self.recording = visit_id if is_open is True and isinstance(visit_id, str) else ""
        self.error = ""

    @rx.event
    def set_closing(self, visit_id: str, is_open: bool):
        self.closing = visit_id if is_open is True and isinstance(visit_id, str) else ""
        self.error = ""

    @rx.event
    def draw(self, form_data: dict):
        def done(principal, result):
            self._reload(principal)
            self.notice = (f"已抽取 {len(result.visits)} 件回访（该期间尚未抽取的办结办件 {result.population} 件；"
                           f"可复核：总体摘要 {result.population_digest[:12]}…，随机种子 {result.seed[:12]}…）")
        return self._act(AUDITOR, form_data, lambda p, f: return_visits.draw(
            p, f.get("from"), f.get("to"), f.get("rate")), done)

    @rx.event
    def reveal(self, visit_id: str):
        self.error, self.notice = "", ""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        try:
            phone = return_visits.reveal_phone(principal, to_int(visit_id))
        except Refused as exc:
            return self._refused(exc)
        self.revealed = {**self.revealed, str(visit_id): phone}

    @rx.event
    def record(self, form_data: dict):
        def done(principal, visit):
            self._reload(principal)
            self.recording = ""
            self.notice = (f"回访已登记。差评已转核实整改，整改期限 {visit.rectification_due}（{return_visits.RECTIFICATION_WORKDAYS} 个工作日）"
                           if visit.rectification_due else "回访已登记")
        return self._act(AUDITOR, form_data, lambda p, f: return_visits.record(
            p, to_int(f.get("visit_id")), f.get("channel"), {a: f.get(a) for a in ASPECTS}, f.get("comments")), done)

    @rx.event
    def close(self, form_data: dict):
        def done(principal, visit):
            self._reload(principal)
            self.closing = ""
            self.notice = "整改已办结" + ("（逾期办结）" if clock.today() > visit.rectification_due else "")
        return self._act(AUDITOR, form_data, lambda p, f: return_visits.close(
            p, to_int(f.get("visit_id")), f.get("verification"), f.get("closing_note")), done)
