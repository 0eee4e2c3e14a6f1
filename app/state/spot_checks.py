"""季度抽查 for auditors (/spotchecks) and the approver's own rectifications (/rectifications).

Thin: every handler checks the officer and the role on the server and calls app/rules/supervision/spot_checks.py.
Committing, drawing and redrawing read the whole quarter: they run in a worker thread (background
events), so other officers' events are not held up by a large quarter."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.rules.calendar import clock

from app.rules.supervision import spot_checks
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import APPROVER, AUDITOR
from app.state.auth import AuthState, to_int


def _rectification_row(r: spot_checks.Rectification) -> dict[str, str]:
    return {"id": str(r.review_id), "quarter": r.quarter, "case_no": r.case_no, "number": r.document_number,
            "item": r.item, "approver": r.approver, "result": r.result, "failed": "、".join(r.failed) or "—",
            "notes": r.notes, "request": r.request, "due": r.due.isoformat(), "overdue": "1" if r.overdue else "",
            "correction": "建议依法纠正或撤销（行政许可法第六十九条）" if r.propose_correction else "",
            "reviewer": r.reviewer, "reviewed_at": local(r.reviewed_at), "statement": r.statement,
            "reported_at": local(r.reported_at) if r.reported_at else ""}


class SpotCheckState(AuthState):
    quarter: str = ""
    quarter_note: str = ""
    can_commit: bool = False
    check: dict[str, str] = {}  # the quarter's live check; {} when none
    strata: list[dict[str, str]] = []
    drawn: list[dict[str, str]] = []
    superseded: list[dict[str, str]] = []
    rectifications: list[dict[str, str]] = []
    checklist: list[list[str]] = [[key, label] for key, label in spot_checks.CHECKLIST]
    results: list[list[str]] = [[key, label] for key, label in spot_checks.RESULTS.items()]
    default_due: str = ""
    reviewing: str = ""  # the drawn case whose review dialog is open
    redraw_reason: str = ""

    def _reload(self, principal) -> None:
        view = spot_checks.overview(principal, self.quarter)
        self.quarter_note, self.can_commit = view.note, view.can_commit
        live = view.live
        if live is None:
            self.check, self.strata, self.drawn = {}, [], []
        else:
            c = live.check
            self.check = {"id": str(c.id), "state": c.state, "state_name": spot_checks.STATES[c.state],
                          "cases": str(live.cases), "digest": c.population_digest, "rate": str(c.rate_percent),
                          "committed": f"{local(c.committed_at)} {live.committed_by}",
                          "seed": c.seed or "", "seed_note": c.seed_note or "",
                          "seeded": f"{local(c.seeded_at)} {live.seeded_by}" if c.seeded_at else "",
                          "sample": str(len(c.sample)), "redraw_reason": c.redraw_reason or ""}
            self.strata = [{"staff_no": s.staff_no, "approver": s.approver, "count": str(s.count),
                            "n": str(len(s.drawn)), "cases": "、".join(s.drawn)} for s in live.strata]
            self.drawn = [{"id": str(d.case_id), "case_no": d.case_no, "number": d.document_number,
                           "outcome": d.outcome, "item": d.item, "approver": d.approver,
                           "decided": d.decided_on.isoformat(), "own": "1" if d.own else "",
                           "reviewed": "1" if d.review else "",
                           "result": spot_checks.RESULTS[d.review.result] if d.review else "",
                           "status": _review_status(d.review)} for d in live.drawn]
        self.superseded = [{"id": str(old.id), "committed": local(old.committed_at), "digest": old.population_digest[:16],
                            "seed": old.seed or "（未摇号）", "sample": str(len(old.sample)), "reason": reason}
                           for old, reason in view.superseded]
        self.rectifications = [_rectification_row(r) for r in spot_checks.open_rectifications(principal)]
        due, provisional = spot_checks.default_due(principal)
        self.default_due = due.isoformat() + ("（暂定）" if provisional else "")

    @rx.event
    def load(self):
        self.error, self.reviewing, self.redraw_reason = "", "", ""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        if not self.quarter:
            self.quarter = spot_checks.last_ended_quarter(clock.today())
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def choose_quarter(self, form_data: dict):
        def run(principal, form):
            quarter = spot_checks.spot_draw.check_quarter(form.get("quarter"))
            self.quarter = quarter
            return quarter

        return self._act(AUDITOR, form_data, run, lambda p, _q: self._reload(p))

    @rx.event
    def set_reviewing(self, case_id: str, is_open: bool):
        self.reviewing = case_id if is_open is True and isinstance(case_id, str) else ""
        self.error = ""

    @rx.event
    def set_redraw_reason(self, value: str):
        self.redraw_reason = value[:500] if isinstance(value, str) else ""

    @rx.event
    def redraw_dialog(self, is_open: bool):
        """A freshly opened dialog starts with an empty reason."""
        if is_open is True:
            self.redraw_reason, self.error = "", ""

    async def _in_thread(self, run, message: str):
        """Check the officer, run the rule in a worker thread, reload; yields what the page needs."""
        async with self:
            self.error, self.notice = "", ""
            principal = self._principal(AUDITOR)
            exit_event = self._exit() if principal is None else None
            if principal is not None:
                self.busy = True
        if principal is None:
            yield exit_event
            return
        try:
            await asyncio.to_thread(run, principal)
        except Refused as exc:
            async with self:
                self.busy = False
                self._refused(exc)
            return
        async with self:
            self.busy = False
            self._reload(principal)
            self.notice = message

    @rx.event(background=True)
    async def commit(self):
        async with self:
            quarter = self.quarter
        async for event in self._in_thread(lambda p: spot_checks.commit(p, quarter),
                                           "已固定本季度抽查总体并记录摘要；请组织摇号，登记随机数"):
            yield event

    @rx.event(background=True)
    async def draw(self, form_data: dict):
        form = form_data if isinstance(form_data, dict) else {}
        async with self:
            check_id = to_int(self.check.get("id"))
        async for event in self._in_thread(
                lambda p: spot_checks.seed_and_draw(p, check_id, form.get("seed"), form.get("note")),
                "已登记随机数并完成抽取"):
            yield event

    @rx.event(background=True)
    async def redraw(self):
        async with self:
            check_id, reason = to_int(self.check.get("id")), self.redraw_reason
        async for event in self._in_thread(lambda p: spot_checks.redraw(p, check_id, reason),
                                           "原抽取已作废并保留；已重新固定总体，请重新摇号"):
            yield event

    @rx.event
    def review(self, form_data: dict):
        def run(principal, form):
            checklist = {key: bool(form.get(key)) for key, _ in spot_checks.CHECKLIST}
            return spot_checks.review(principal, to_int(self.check.get("id")), to_int(form.get("case_id")), checklist,
                                      form.get("result"), form.get("notes"), form.get("request"),
                                      form.get("due") or None, bool(form.get("propose_correction")))

        def done(principal, row):
            self._reload(principal)
            self.reviewing = ""
            self.notice = f"已记录评查结论：{spot_checks.RESULTS[row.result]}" + (
                f"，整改期限 {row.rectification_due.isoformat()}" if row.rectification_due else "")

        return self._act(AUDITOR, form_data, run, done)

    @rx.event
    def close(self, form_data: dict):
        def done(principal, _row):
            self._reload(principal)
            self.notice = "整改已结案"

        return self._act(AUDITOR, form_data, lambda p, f: spot_checks.close_rectification(
            p, to_int(f.get("review_id")), f.get("evidence")), done)

    def _file(self, make):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        try:
            name, data = make(principal, to_int(self.check.get("id")))
        except Refused as exc:
            return self._refused(exc)
        return rx.download(data=data, filename=name, mime_type="text/plain")

    @rx.event
    def download_population(self):
        return self._file(spot_checks.population_file)

    @rx.event
    def download_draw(self):
        return self._file(spot_checks.draw_file)


def _review_status(review) -> str:
    if review is None:
        return "待评查"
    if review.result == "pass":
        return "合格"
    if review.closed_at:
        return f"{spot_checks.RESULTS[review.result]}，已结案"
    return f"{spot_checks.RESULTS[review.result]}，整改期限 {review.rectification_due.isoformat()}"


class RectificationState(AuthState):
    rows: list[dict[str, str]] = []

    def _reload(self, principal) -> None:
        self.rows = [_rectification_row(r) for r in spot_checks.open_rectifications_for(principal)]

    @rx.event
    def load(self):
        self.error = ""
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        self._reload(principal)

    @rx.event
    def report(self, form_data: dict):
        def done(principal, _event):
            self._reload(principal)
            self.notice = "已提交整改说明，待评查人员核实结案"

        return self._act(APPROVER, form_data, lambda p, f: spot_checks.submit_rectification(
            p, to_int(f.get("review_id")), f.get("statement")), done)
