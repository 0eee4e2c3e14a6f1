"""办件监督 for the working group: cases at or past their deadline (all approvers), transferred-out
cases to route to the ordinary procedure, and extensions (延期, with step-up)."""

from __future__ import annotations

import reflex as rx

from app.rules.counter import case_steps
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import ADMIN
from app.state.auth import STEP_UP_ACTIONS, AuthState, to_int


class SupervisionState(AuthState):
    overdue: list[dict[str, str]] = []
    transfers: list[dict[str, str]] = []
    extending: str = ""  # the case whose 延期 dialog is open

    @rx.event
    def set_extending(self, case_id: str, is_open: bool):
        self.extending = case_id if is_open is True and isinstance(case_id, str) else ""
        self.error = ""

    def _reload(self, principal) -> None:
        self.overdue = [{"id": str(c.id), "case_no": c.case_no, "item": i.name, "approver": f"{o.name}（{o.staff_no}）",
                         "deadline": c.deadline.isoformat(), "timing": t["text"], "overdue": "1" if t["overdue"] else ""}
                        for c, i, o, t in case_steps.overdue_and_due(principal)]
        self.transfers = [{"id": str(c.id), "case_no": c.case_no, "item": i.name,
                           "approver": f"{o.name}（{o.staff_no}）", "at": local(c.closed_at),
                           "reason": case_steps.TRANSFER_REASONS.get(c.closing_category, "") + "：" + (c.closing_reason or ""),
                           "routed": local(c.routed_at) if c.routed_at else ""}
                          for c, i, o in case_steps.transferred(principal)]

    @rx.event
    def load(self):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    def _done(self, message: str):
        def finish(principal, _result):
            self._reload(principal)
            self.notice, self.extending = message, ""
        return finish

    @rx.event
    def extend(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: case_steps.extend(
            p, to_int(f.get("case_id")), to_int(f.get("days")), f.get("reason")),
            self._done("已延期，新的办结期限已生效"), step_up_action="cases.extend")

    @rx.event
    def route(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: case_steps.route(p, to_int(f.get("case_id")), f.get("note")),
                         self._done("已登记转办去向"))


STEP_UP_ACTIONS.update({"cases.extend": SupervisionState.extend})
