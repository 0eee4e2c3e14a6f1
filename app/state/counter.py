"""The approver's counter: receive an application (受理 / 一次性告知补正 / 不予受理), review, decide, sign
with the key, and everything else a case can come to (补正后受理, 撤回, 转出, 回避); print and download
every document. Thin: each handler checks the officer and calls a rule."""

from __future__ import annotations

import asyncio
import base64
import time

import reflex as rx

from app.db import transaction
from app.models import Item
from app.rules.counter import case_steps
from app.rules.counter import cases
from app.rules.counter import decisions
from app.rules.counter import notices
from app.rules.catalog.items import limit_text, material_text
from app.rules.errors import Refused
from app.rules.counter.identity import ID_TYPES
from app.rules.people.roles import APPROVER
from app.state.auth import AuthState, to_int
from app.state.webauthn_js import browser_error, get_script

STATE_NAMES = {"received": "收件", "awaiting_correction": "待补正", "accepted": "已受理", "decided": "已办结",
               "not_accepted": "不予受理", "withdrawn": "已撤回", "transferred": "已转出"}
OUTCOME_NAMES = {"approved": "准予许可", "refused": "不予许可", "not_accepted": "不予受理"}
INTAKE = ("accept", "correction", "not_accepted")
DOUBLE_SUBMIT_SECONDS = 3
# Which field a refusal is about, so the page can show it there.
FIELD_OF_REFUSAL = {"applicant.name": "applicant_name", "applicant.id_type": "id_type",
                    "applicant.id_missing": "id_number", "applicant.id_invalid": "id_number", "applicant.phone": "phone",
                    "case.materials_missing": "materials", "case.nothing_to_correct": "materials",
                    "case.conflict_not_declared": "no_conflict", "item.none": "item",
                    "case.not_accepted_category": "category", "input.reason_missing": "reason"}

# Opens a PDF (base64) in a hidden frame and asks the browser to print it. Under automation
# (navigator.webdriver) headless Chromium has no print dialog and crashes on print(): the browser
# tests check the frame holds the PDF, and skip only the dialog.
PRINT_SCRIPT = """(() => {
  const bytes = Uint8Array.from(atob(%r), c => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], {type: "application/pdf"}));
  let frame = document.getElementById("print-frame");
  if (frame) { frame.remove(); }
  frame = document.createElement("iframe");
  frame.id = "print-frame";
  frame.style.cssText = "position:fixed;right:0;bottom:0;width:0;height:0;border:0";
  frame.onload = () => {
    if (navigator.webdriver) { frame.dataset.loaded = "1"; return; }
    try { frame.contentWindow.focus(); frame.contentWindow.print(); } catch (e) {}
  };
  frame.src = url;
  document.body.appendChild(frame);
})()"""


def closing_text(case) -> str:
    """Why a case ended without a decision, or why it will not be accepted."""
    if not case.closing_reason:
        return ""
    label = ("撤回理由" if case.closing_category == "withdrawn" else
             {**cases.NOT_ACCEPTED_REASONS, **case_steps.TRANSFER_REASONS}.get(case.closing_category or "", "理由"))
    return f"{label}：{case.closing_reason}"


def print_pdf(pdf: bytes):
    return rx.call_script(PRINT_SCRIPT % base64.b64encode(pdf).decode("ascii"))


class CounterState(AuthState):
    _sign_challenge: str = ""
    _intake_done_at: float = 0.0
    items: list[dict[str, str]] = []
    selected_item: str = ""
    materials: list[dict[str, str]] = []
    id_types: list[str] = list(ID_TYPES)
    intake: str = "accept"
    not_accepted_reasons: list[list[str]] = [[k, v] for k, v in cases.NOT_ACCEPTED_REASONS.items()]
    transfer_reasons: list[list[str]] = [[k, v] for k, v in case_steps.TRANSFER_REASONS.items()]
    field_errors: dict[str, str] = {}
    my_cases: list[dict[str, str]] = []
    # The open case
    case_id: int = 0
    case: dict[str, str] = {}
    conditions: list[str] = []
    case_materials: list[dict[str, str]] = []
    correction: list[dict[str, str]] = []
    case_notices: list[dict[str, str]] = []
    candidates: list[list[str]] = []
    decision_id: int = 0
    document_number: str = ""

    def _reload(self, principal) -> None:
        self.items = [{"id": str(i.id), "label": f"{i.name}（{i.code}）", "limit": limit_text(i.promised_limit_days)}
                      for i in cases.offered_items(principal)]
        rows = []
        for c, i, d, timing in case_steps.my_cases(principal):
            rows.append({"id": str(c.id), "case_no": c.case_no, "item": i.name, "applicant": c.applicant_name,
                         "id_masked": c.applicant_id_masked,
                         "state": OUTCOME_NAMES.get(c.outcome, "") or STATE_NAMES.get(c.state, c.state),
                         "deadline": f"{c.deadline:%Y-%m-%d}{'（暂定）' if c.deadline_provisional else ''}"
                         if c.deadline else "", "timing": timing["text"], "overdue": "1" if timing["overdue"] else "",
                         "decision_id": str(d.id) if d else "", "document_number": d.document_number if d else ""})
        self.my_cases = rows

    @rx.event
    def load(self):
        self._sign_challenge = ""  # a reload abandons the key prompt the lost page had open
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        self.field_errors = {}
        try:
            self._reload(principal)
        except Refused as exc:
            return self._refused(exc)
        if self.case_id:
            try:
                self._show(principal, self.case_id)
            except Refused:  # another officer's case, left in this tab before a sign-out: not shown
                self.case_id = 0

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
        self.materials = [{"name": m["name"], "form": material_text(m) or "—",
                           "required": "必需" if m.get("required", True) else "可选"} for m in item.materials]

    @rx.event
    def set_intake(self, value: str | list[str]):
        self.intake = value if isinstance(value, str) and value in INTAKE else "accept"
        self.field_errors = {}

    @rx.event
    def accept(self, form_data: dict):
        """The new-application form: accept, give the one-time correction notice, or register a
        non-acceptance to be signed — as the officer chose."""
        if not self.selected_item and time.monotonic() - self._intake_done_at < DOUBLE_SUBMIT_SECONDS:
            return  # the second click of a double click, arriving after the first emptied the form
        self.error, self.notice = "", ""
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        received = [i for i in range(len(self.materials)) if form.get(f"material-{i}")]
        applicant = (form.get("applicant_name"), form.get("id_type"), form.get("id_number"))
        item_id, declared, phone = to_int(self.selected_item), bool(form.get("no_conflict")), form.get("phone")
        try:
            if self.intake == "correction":
                needs = {str(i): form.get(f"need-{i}") for i in range(len(self.materials))}
                case = cases.notify_correction(principal, item_id, *applicant, received, needs, declared, phone)
                message = f"已出具补正材料通知书，收件编号 {case.case_no}：请打印交申请人"
            elif self.intake == "not_accepted":
                case = cases.register_not_accepted(principal, item_id, *applicant, form.get("category"),
                                                   form.get("reason"), declared, phone)
                message = f"已登记 {case.case_no}：请填写审查意见并用安全密钥签署不予受理决定书"
            else:
                case = cases.accept_new_case(principal, item_id, *applicant, received, declared, phone)
                message = f"已受理，受理编号 {case.case_no}：请打印受理通知书交申请人"
        except Refused as exc:
            # The form keeps what the officer typed; the reason shows beside its field too.
            self.field_errors = {FIELD_OF_REFUSAL[exc.code]: exc.message} if exc.code in FIELD_OF_REFUSAL else {}
            return self._refused(exc)
        self.selected_item, self.materials, self.field_errors, self.intake = "", [], {}, "accept"
        self._intake_done_at = time.monotonic()
        self._reload(principal)
        self._show(principal, case.id)
        self.notice = message
        return rx.call_script("document.getElementById('new-case-form').reset()")

    def _show(self, principal, case_id: int) -> None:
        with transaction() as session:
            case = cases.own_case(session, principal, case_id)
            item = cases.accepted_item(session, case)  # the version the case was accepted under
            timing = case_steps.timing(session, case, item)
            case_notices = notices.notices_of(session, case.id)
            handover = case_steps.handover_note(session, case)
        decision = decisions.decision_of_case(case.id)
        self.case_id = case.id
        self.case = {
            "case_no": case.case_no, "item": item["name"], "state": case.state,
            "state_name": OUTCOME_NAMES.get(case.outcome, "") or STATE_NAMES.get(case.state, case.state),
            "limit": limit_text(item["promised_limit_days"]),
            "deadline": f"{case.deadline:%Y-%m-%d}{'（暂定，待录入该年节假日）' if case.deadline_provisional else ''}"
            if case.deadline else "—",
            "timing": timing["text"], "overdue": "1" if timing["overdue"] else "",
            "declare": "" if case.no_conflict_declared else "1",
            "permit": item.get("permit_content", ""), "validity": f"{item.get('validity_months', 0)} 个月"
            if item.get("validity_months") else "",
            "closing": closing_text(case),
            "handover": handover,
        }
        self.conditions = list(item["conditions"])
        self.case_materials = [{"name": m["name"], "form": material_text(m) or "—",
                                "received": "1" if i in case.materials_received else ""}
                               for i, m in enumerate(item["materials"])]
        self.correction = [{"material": c["material"], "need": c["need"]} for c in case.correction]
        self.case_notices = [{"id": str(n.id), "title": notices.TITLES[n.kind]} for n in case_notices]
        self.candidates = []
        self.decision_id, self.document_number = (decision.id, decision.document_number) if decision else (0, "")

    @rx.event
    def open_case(self, case_id: str):
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        self.error, self.notice = "", ""
        try:
            self._show(principal, to_int(case_id))
        except Refused as exc:
            return self._refused(exc)

    def _step(self, run, message: str):
        """An action on the open case: the rule, then the case and the list as they now stand."""
        self.error, self.notice = "", ""
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        case_id = self.case_id
        try:
            run(principal, case_id)
        except Refused as exc:
            return self._refused(exc)
        self._reload(principal)
        try:
            self._show(principal, case_id)
        except Refused:  # handed over: no longer this approver's case
            self.case_id = 0
        self.notice = message

    @rx.event
    def accept_corrected(self, form_data: dict):
        form = form_data if isinstance(form_data, dict) else {}
        received = [i for i in range(len(self.case_materials)) if form.get(f"received-{i}")]
        return self._step(lambda p, c: cases.accept_corrected(p, c, received), "补正材料齐全，已受理：请打印受理通知书")

    @rx.event
    def withdraw(self, form_data: dict):
        form = form_data if isinstance(form_data, dict) else {}
        return self._step(lambda p, c: case_steps.withdraw(p, c, form.get("withdraw_reason")),
                          "已撤回：请打印撤回申请确认书交申请人")

    @rx.event
    def transfer(self, form_data: dict):
        form = form_data if isinstance(form_data, dict) else {}
        return self._step(lambda p, c: case_steps.transfer_out(p, c, form.get("transfer_category"),
                                                               form.get("transfer_reason")),
                          "已转出独立审批，等待工作组转办：请打印告知书交申请人")

    @rx.event
    def load_candidates(self):
        principal = self._principal(APPROVER)
        if principal is None:
            return self._exit()
        try:
            self.candidates = [[str(o.id), f"{o.name}（{o.staff_no}）"]
                               for o in case_steps.handover_candidates(principal, self.case_id)]
        except Refused as exc:
            return self._refused(exc)

    @rx.event
    def hand_over(self, form_data: dict):
        form = form_data if isinstance(form_data, dict) else {}
        return self._step(lambda p, c: case_steps.hand_over(p, c, to_int(form.get("to_officer")),
                                                            form.get("recusal_reason")),
                          "已回避，办件已移交")

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
            case_id, self.busy = self.case_id, principal is not None
        if principal is None:
            yield exit_event
            return
        try:
            # Rendering the PDF happens here, before the touch, off the event loop.
            request = await asyncio.to_thread(decisions.prepare, principal, case_id, met, form.get("opinion"),
                                              reasons, form.get("late_reason"), form.get("permit_content"),
                                              bool(form.get("declare_no_conflict")))
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
        principal, decision, event = await self._blocking(APPROVER, decisions.complete, challenge_id,
                                                          result.get("response") if isinstance(result, dict) else None)
        if principal is None:
            if event:
                yield event
            return
        async with self:
            self._reload(principal)
            self._show(principal, decision.case_id)
            self.notice = f"已签署：{decision.document_number}"

    @rx.event
    def download(self, decision_id: str):
        return self._download(APPROVER, decision_id)

    @rx.event
    def print_decision(self, decision_id: str):
        return self._with_decision_pdf(APPROVER, decision_id, lambda _, pdf: print_pdf(pdf))

    @rx.event(background=True)
    async def notice_pdf(self, notice_id: str, to_print: bool):
        """A notice to print or download; its first rendering runs off the event loop."""
        principal, named_pdf, event = await self._blocking(APPROVER, notices.pdf, to_int(notice_id))
        if principal is None:
            if event:
                yield event
            return
        name, pdf = named_pdf
        yield print_pdf(pdf) if to_print is True else rx.download(data=pdf, filename=name, mime_type="application/pdf")
