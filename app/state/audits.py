"""Auditors: signed decisions, downloadable and verifiable."""

from __future__ import annotations

import reflex as rx

from app.rules import checkpoints, decisions
from app.rules.errors import Refused
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

    @rx.event
    def download_checkpoints(self):
        """Every signed checkpoint of the audit log, as the files an auditor keeps outside the system."""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        try:
            data = checkpoints.export(principal)
        except Refused as exc:
            return self._refused(exc)
        return rx.download(data=data, filename="audit-checkpoints.json", mime_type="application/json")
