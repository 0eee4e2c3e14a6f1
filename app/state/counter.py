"""The approver's counter: new case, review, decide, sign with the key, download."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.db import transaction
from app.models import Case, Item
from app.rules import cases, decisions
from app.rules.errors import Refused
from app.rules.catalog import material_text
from app.rules.identity import ID_TYPES
from app.rules.roles import APPROVER
from app.state.auth import AuthState, to_int
from app.state.webauthn_js import browser_error, get_script

STATE_NAMES = {"accepted": "已受理", "decided": "已办结", "draft": "草稿"}
# Which field a refusal at acceptance is about, so the page can show it there.
FIELD_OF_REFUSAL = {"applicant.name": "applicant_name", "applicant.id_type": "id_type",
                    "applicant.id_missing": "id_number", "applicant.id_invalid": "id_number",
                    "case.materials_missing": "materials", "case.conflict_not_declared": "no_conflict",
                    "item.none": "item"}



class CounterState(AuthState):
    _sign_challenge: str = ""
    items: list[dict[str, str]] = []
    selected_item: str = ""
    materials: list[dict[str, str]] = []
    id_types: list[str] = list(ID_TYPES)
    case_id: int = 0
    case_no: str = ""
    case_item: str = ""
    case_deadline: str = ""
    conditions: list[str] = []
    decision_id: int = 0
    document_number: str = ""
    my_cases: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}

    def _reload(self, principal) -> None:
        self.items = [{"id": str(i.id), "label": f"{i.name}（{i.code}）",
                       "limit": "当场办结" if i.promised_limit_days == 0 else f"{i.promised_limit_days} 个工作日"}
                      for i in cases.offered_items(principal)]
        self.my_cases = [{"id": str(c.id), "case_no": c.case_no, "item": i.name, "applicant": c.applicant_name,
                          "id_masked": c.applicant_id_masked, "state": STATE_NAMES.get(c.state, c.state),
                          "deadline": f"{c.deadline:%Y-%m-%d}{'（暂定）' if c.deadline_provisional else ''}"
                          if c.deadline else "", "decision_id": str(d.id) if d else "", "document_number": d.document_number if d else ""}
                         for c, i, d in cases.cases_of(principal)]

    @rx.event
    def load(self):
        self.error = ""
        self._sign_challenge = ""  # a reload abandons the key prompt the lost page had open
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def select_item(self, value: str):
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        self.selected_item, self.materials = "", []
        item_id = to_int(value)
        if item_id is None or str(item_id) not in {i["id"] for i in self.items}:
            return
        with transaction() as session:
            item = session.get(Item, item_id)
        self.selected_item = str(item_id)
        self.materials = [{"name": m["name"], "form": material_text(m),
                           "required": "必需" if m.get("required", True) else "可选"} for m in item.materials]

    @rx.event
    def accept(self, form_data: dict):
        self.error, self.notice = "", ""
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        received = [i for i in range(len(self.materials)) if form.get(f"material-{i}")]
        try:
            case = cases.accept_new_case(principal, to_int(self.selected_item), form.get("applicant_name"),
                                         form.get("id_type"), form.get("id_number"), received,
                                         bool(form.get("no_conflict")))
        except Refused as exc:
            # The form keeps what the officer typed; the reason shows beside its field too.
            self.field_errors = {FIELD_OF_REFUSAL[exc.code]: exc.message} if exc.code in FIELD_OF_REFUSAL else {}
            return self._refused(exc)
        self._show_case(case)
        self.selected_item, self.materials, self.field_errors = "", [], {}
        self.notice = f"已受理，受理编号 {case.case_no}"
        self._reload(principal)
        return rx.call_script("document.getElementById('new-case-form').reset()")

    def _show_case(self, case: Case) -> None:
        with transaction() as session:
            item = cases.accepted_item(session, case)  # the version the case was accepted under
        self.case_id, self.case_no, self.case_item = case.id, case.case_no, item["name"]
        self.case_deadline = ("当场办结" if item["promised_limit_days"] == 0 else
                              f"{case.deadline:%Y-%m-%d}{'（暂定，待录入该年节假日）' if case.deadline_provisional else ''}")
        self.conditions = list(item["conditions"])
        self.decision_id, self.document_number = 0, ""

    @rx.event
    def open_case(self, case_id: str):
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        try:
            with transaction() as session:
                case = cases.own_case(session, principal, to_int(case_id))
        except Refused as exc:
            return self._refused(exc)
        self._show_case(case)
        decision = decisions.decision_of_case(case.id)
        if decision is not None:
            self.decision_id, self.document_number = decision.id, decision.document_number

    @rx.event(background=True)
    async def start_signing(self, form_data: dict):
        async with self:
            if self.busy or self._sign_challenge:  # a second click while the key prompt is open
                return
            self.error, self.notice = "", ""
            principal = self._principal(APPROVER)
            exit_event = self._exit() if principal is None else None
            form = form_data if isinstance(form_data, dict) else {}
            met = [i for i in range(len(self.conditions)) if form.get(f"condition-{i}")]
            reasons = {str(i): form.get(f"reason-{i}") for i in range(len(self.conditions)) if i not in met}
            opinion = form.get("opinion")
            case_id, self.busy = self.case_id, principal is not None
        if principal is None:
            yield exit_event
            return
        try:
            # Rendering the PDF happens here, before the touch, off the event loop.
            request = await asyncio.to_thread(decisions.prepare, principal, case_id, met, opinion, reasons)
        except Refused as exc:
            async with self:
                self.busy = False
                self._refused(exc)
            return
        async with self:
            self._sign_challenge = request.challenge_id
            self.notice = f"请触碰安全密钥并输入 PIN，签署 {request.document_number}"
        yield rx.call_script(get_script(request.options_json), callback=CounterState.finish_signing)

    @rx.event(background=True)
    async def finish_signing(self, result: dict):
        async with self:
            self.busy = False
            challenge_id, self._sign_challenge = self._sign_challenge, ""
            message = browser_error(result)
            if message:
                self.error, self.notice = message, ""
                return
            principal = self._principal(APPROVER)
            exit_event = self._exit() if principal is None else None
        if principal is None:
            yield exit_event
            return
        try:
            decision = await asyncio.to_thread(decisions.complete, principal, challenge_id, result["response"])
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        async with self:
            self.decision_id, self.document_number = decision.id, decision.document_number
            self.notice = f"已签署：{decision.document_number}"
            self._reload(principal)

    @rx.event
    def download(self, decision_id: str):
        return self._download(APPROVER, decision_id)
