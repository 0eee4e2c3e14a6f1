"""终身负责: one case's responsibility record for auditors and the working group."""

from __future__ import annotations

import reflex as rx

from app.rules.supervision import responsibility
from app.rules.errors import Refused
from app.state.auth import AuthState, to_int


class ResponsibilityState(AuthState):
    case: dict[str, str] = {}
    who: dict[str, str] = {}
    decision: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    findings: list[dict[str, str]] = []
    visits: list[dict[str, str]] = []

    def _show(self, principal, case_id) -> None:
        record = responsibility.responsibility(principal, case_id)
        self.case, self.who, self.decision = record["case"], record["who"], record["decision"]
        self.steps, self.findings, self.visits = record["steps"], record["findings"], record["visits"]

    def _forget(self) -> None:
        self.case, self.who, self.decision, self.steps, self.findings, self.visits = {}, {}, {}, [], [], []

    @rx.event
    def load(self):
        """The record of ?case=ID; the rule checks that the officer is an auditor or an admin."""
        self._forget()
        principal = self._principal()
        if principal is None:
            return self._exit()
        case_id = to_int(self.router.url.query_parameters.get("case", ""))
        if case_id is None:
            return
        try:
            self._show(principal, case_id)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def find(self, form_data: dict):
        """By 受理编号 or 文号."""
        self._forget()
        return self._act(None, form_data, lambda p, f: self._show(p, responsibility.find(p, f.get("query"))))
