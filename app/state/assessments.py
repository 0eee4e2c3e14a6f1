"""年度考核 for the working group: each approver's figures for a year, the level with reasons, and
proposals of disqualification confirmed with the admin's step-up."""

from __future__ import annotations

import reflex as rx

from app.rules.people import assessments

from app.rules.calendar import clock
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import ADMIN
from app.state.auth import STEP_UP_ACTIONS, AuthState, to_int


def _row(r: assessments.Row) -> dict[str, str]:
    f, a, o = r.figures, r.assessment, r.officer
    outcomes = "、".join(f"{label} {f['by_outcome'][k]}" for k, label in assessments.OUTCOMES.items())
    return {"id": str(o.id), "officer": f"{o.name}（{o.staff_no}）" + ("，已退出" if o.status != "active" else ""),
            "decided": str(f["decided"]), "outcomes": outcomes,
            "on_time": f"{f['on_time_rate']}（{f['on_time']}/{f['timed']}）",
            "defects": f"{f['defect_rate']}（瑕疵 {f['flaws']}、错误 {f['errors']} / 评查 {f['reviewed']}）",
            "satisfaction": f"{f['satisfaction_rate']}（{f['satisfied']}/{f['visits']}），均分 {f['mean_rating']}",
            "complaints": f"{f['complaints']}（未办结 {f['complaints_open']}）",
            "findings": "；".join(f"{x['case_no']} {x['result']}：{x['notes']}" for x in f["findings"]) or "无",
            "level": a.level if a else "", "reasons": a.reasons if a else "",
            "assessed": local(a.assessed_at) if a else ""}


class AssessmentsState(AuthState):
    year: str = ""
    rows: list[dict[str, str]] = []
    proposals: list[dict[str, str]] = []
    assessing: str = ""  # the officer whose level dialog is open
    confirming: str = ""  # the assessment whose disqualification dialog is open

    def _reload(self, principal) -> None:
        self.rows = [_row(r) for r in assessments.overview(principal, self.year)]
        self.proposals = [{"id": str(a.id), "officer": f"{o.name}（{o.staff_no}）", "year": str(a.year),
                           "level": a.level + ("，严重问题" if a.figures.get("serious_finding") else ""),
                           "reasons": a.reasons,
                           "state": f"已取消资格（{local(a.disqualified_at)}）" if a.disqualified_at else "待确认",
                           "open": "" if a.disqualified_at else "1"}
                          for a, o in assessments.proposals(principal)]

    @rx.event
    def load(self):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.year = self.year or str(clock.today().year)
        self.assessing, self.confirming = "", ""
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def choose_year(self, form_data: dict):
        def run(principal, form):
            year = str(form.get("year") or "").strip()[:4]
            assessments.overview(principal, year)  # refuses a bad year before it is kept
            self.year = year
        return self._act(ADMIN, form_data, run, lambda principal, _: self._reload(principal))

    @rx.event
    def set_assessing(self, officer_id: str, is_open: bool):
        self.assessing = officer_id if is_open is True and isinstance(officer_id, str) else ""
        self.error = ""

    @rx.event
    def set_confirming(self, assessment_id: str, is_open: bool):
        self.confirming = assessment_id if is_open is True and isinstance(assessment_id, str) else ""
        self.error = ""

    @rx.event
    def record(self, form_data: dict):
        def done(principal, a):
            self._reload(principal)
            self.assessing = ""
            self.notice = f"已登记 {a.year} 年度考核：{a.level}" + ("，已提出取消资格，请确认" if a.proposes_disqualification else "")
        return self._act(ADMIN, form_data, lambda p, f: assessments.record(
            p, to_int(f.get("officer_id")), self.year, f.get("level"), f.get("reasons"), bool(f.get("serious"))), done)

    @rx.event
    def confirm(self, form_data: dict):
        def done(principal, _a):
            self._reload(principal)
            self.confirming = ""
            self.notice = "已取消资格：授权已撤销，密钥已停用，证书已吊销"
        return self._act(ADMIN, form_data, lambda p, f: assessments.confirm_disqualification(
            p, to_int(f.get("assessment_id")), f.get("reason")), done, "assessments.confirm")


STEP_UP_ACTIONS.update({"assessments.confirm": AssessmentsState.confirm})
