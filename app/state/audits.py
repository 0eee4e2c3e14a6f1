"""Auditors: signed decisions, downloadable and verifiable."""

from __future__ import annotations

import reflex as rx

from app.rules import decisions
from app.rules.clock import local
from app.rules.roles import AUDITOR
from app.state.auth import AuthState


class AuditsState(AuthState):
    decisions: list[dict[str, str]] = []

    @rx.event
    def load(self):
        self.error = ""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self.decisions = [{"id": str(d.id), "number": d.document_number, "case_no": c.case_no, "item": i.name,
                           "approver": f"{o.name}（{o.staff_no}）", "decided_at": local(d.decided_at),
                           "applicant": c.applicant_name, "id_masked": c.applicant_id_masked}
                          for d, c, i, o in decisions.all_decisions(principal)]

    @rx.event
    def download(self, decision_id: str):
        return self._download(AUDITOR, decision_id)
