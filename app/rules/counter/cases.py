"""The counter: open and accept a case of an authorized item (受理), record the review (审查)."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import Authorization, Case, CaseEvent, Category, Item, ItemRevision, SecurityKey
from app.models.base import utcnow
from app.rules import audit, inputs, personal_data
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.people import eligibility
from app.rules.counter import notices
from app.rules.catalog.items import material_text
from app.rules.errors import refuse
from app.rules.counter.identity import normalize_id
from app.rules.people.roles import APPROVER
from app.rules.people.scope import active_authorization, covers, is_independent, items_in_scope
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise refuse("input.invalid", "参数无效")
    return sorted(set(value))


def _approver_authorization(session: Session, principal: Principal) -> Authorization:
    if APPROVER not in principal.roles:
        raise refuse("role.denied", "无权操作：此功能仅限独立审批员")
    auth = active_authorization(session, principal.officer_id, clock.today())
    if auth is None:
        raise refuse("authorization.none", "您没有有效的独立审批授权")
    blocked = eligibility.blocks_signing(session, principal.officer_id, clock.today())
    if blocked:  # an approver who may not sign takes no new case either
        raise refuse("authorization.ineligible", f"您当前不能独立审批：{blocked}（待工作组处理）")
    return auth


def _bound_items(session: Session, principal: Principal) -> list[str]:
    """The item codes the key that opened this session is bound to: the counter offers no item the
    key could not sign."""
    key = session.get(SecurityKey, principal.key_id)
    return key.scope_items if key is not None else []


def offered_items(principal: Principal) -> list[Item]:
    with transaction() as session:
        bound = set(_bound_items(session, principal))
        return [i for i in items_in_scope(session, _approver_authorization(session, principal)) if i.code in bound]


def check_item_in_scope(session: Session, auth: Authorization, item: Item | None,
                        bound_items: list[str]) -> Item:
    if item is None:
        raise refuse("item.unknown", "事项不存在")
    category = session.get(Category, item.category_id)
    if not is_independent(item):
        raise refuse("item.not_independent", f"“{item.name}”不在独立审批事项清单内，不能独立审批")
    if not covers(auth, item, category.code):
        raise refuse("scope.item_outside", f"“{item.name}”超出您的授权范围")
    if item.code not in bound_items:
        raise refuse("scope.not_bound", f"“{item.name}”是密钥绑定后才纳入授权范围的事项，须经工作组确认扩大密钥范围")
    return item


# 不予受理 (行政许可法 第三十二条第一款): why an application is not accepted.
NOT_ACCEPTED_REASONS = {
    "not_permit": "申请事项依法不需要取得行政许可",
    "not_organ": "申请事项依法不属于本机关职权范围",
    "not_independent": "申请事项不属于独立审批事项清单范围",
}


def _applicant(applicant_name: Any, id_type: Any, id_number: Any, no_conflict: Any) -> tuple[str, str, str]:
    name = applicant_name.strip() if isinstance(applicant_name, str) else ""
    if not name or len(name) > 200:
        raise refuse("applicant.name", "请填写申请人名称")
    id_type, id_number = normalize_id(id_type, id_number)
    if no_conflict is not True:
        raise refuse("case.conflict_not_declared", "受理前须声明与本申请无利害关系（回避）")
    return name, id_type, id_number


PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,19}$")


def _phone(value: Any) -> bytes:
    """The applicant's contact for return visits (七(一)): optional, encrypted like the ID number."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return b""
    if not PHONE.match(text) or sum(c.isdigit() for c in text) < 7:
        raise refuse("applicant.phone", "联系电话格式不正确（数字，可含 + - 和空格）")
    return personal_data.encrypt(text)


def _checked_item(session: Session, principal: Principal, item_id: Any) -> Item:
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise refuse("item.none", "请选择事项")
    auth = _approver_authorization(session, principal)
    return check_item_in_scope(session, auth, session.get(Item, item_id), _bound_items(session, principal))


def missing_materials(item: dict | Item, received: list[int]) -> list[str]:
    materials = item["materials"] if isinstance(item, dict) else item.materials
    if any(i >= len(materials) or i < 0 for i in received):
        raise refuse("input.invalid", "材料清单不符")
    return [m["name"] for i, m in enumerate(materials) if m.get("required", True) and i not in received]


def _open(session: Session, principal: Principal, item: Item, applicant: tuple[str, str, str],
          received: list[int], state: str, phone: bytes = b"") -> Case:
    name, id_type, id_number = applicant
    case = Case(case_no="", item_id=item.id, item_revision=item.revision, approver_id=principal.officer_id,
                applicant_phone_encrypted=phone, applicant_name=name, applicant_id_type=id_type,
                applicant_id_encrypted=personal_data.encrypt(id_number),
                applicant_id_masked=personal_data.mask(id_number), materials_received=received,
                no_conflict_declared=True, state=state)
    session.add(case)
    session.flush()
    case.case_no = f"SL{case.created_at.astimezone(clock.BEIJING):%Y%m%d}{case.id:06d}"  # the Beijing date, not UTC
    session.add(case)
    event(session, case, "received", principal.officer_id, item_code=item.code, item_revision=item.revision)
    return case


def event(session: Session, case: Case, kind: str, officer_id: int | None, **details) -> None:
    """A step in the case's history (case_event, append-only) and on the audit log."""
    session.add(CaseEvent(case_id=case.id, kind=kind, officer_id=officer_id, details=details))
    audit.record(session, f"case.{kind}", f"case:{case.id}", officer_id, case_no=case.case_no, **details)


def _accept(session: Session, principal: Principal, case: Case, item: dict) -> Case:
    """受理: the deadline runs from today (Beijing), in working days of the accepted revision's limit;
    the 受理通知书 is issued with it."""
    case.state, case.accepted_at = "accepted", utcnow()
    case.deadline, case.deadline_provisional = calendar.deadline(session, clock.today(), item["promised_limit_days"])
    session.add(case)
    event(session, case, "accepted", principal.officer_id, deadline=case.deadline.isoformat())
    notices.issue(session, principal, case, "acceptance")
    return case


@audit_refusals("case.accept")
def accept_new_case(principal: Principal, item_id: Any, applicant_name: Any, id_type: Any, id_number: Any,
                    materials_received: Any, no_conflict: Any, phone: Any = None) -> Case:
    """Open and accept in one step: only a complete application is accepted (六(一))."""
    applicant = _applicant(applicant_name, id_type, id_number, no_conflict)
    contact = _phone(phone)
    received = _int_list(materials_received)
    with transaction() as session:
        item = _checked_item(session, principal, item_id)
        missing = missing_materials(item, received)
        if missing:
            raise refuse("case.materials_missing", f"材料不齐全，缺少：{'、'.join(missing)}（请一次性告知补正）")
        case = _open(session, principal, item, applicant, received, "accepted", contact)
        return _accept(session, principal, case, accepted_item(session, case))


@audit_refusals("case.correction")
def notify_correction(principal: Principal, item_id: Any, applicant_name: Any, id_type: Any, id_number: Any,
                      materials_received: Any, needs: Any, no_conflict: Any, phone: Any = None) -> Case:
    """一次性告知补正 (行政许可法 第三十二条第一款第四项): every missing required material and every
    received one marked defective, each with what is needed, in one notice; the case waits."""
    applicant = _applicant(applicant_name, id_type, id_number, no_conflict)
    received = _int_list(materials_received)
    needs = needs if isinstance(needs, dict) else {}
    contact = _phone(phone)
    with transaction() as session:
        item = _checked_item(session, principal, item_id)
        missing_materials(item, received)  # checks the indices
        listed = []
        for i, m in enumerate(item.materials):
            need = str(needs.get(str(i)) or "").strip()[:300]
            if i not in received and m.get("required", True):
                listed.append({"material": m["name"], "need": need or f"未提交，请补充提交（{material_text(m)}）"})
            elif need:
                listed.append({"material": m["name"], "need": need})
        if not listed:
            raise refuse("case.nothing_to_correct", "材料齐全且无须补正：请直接受理，或在“补正要求”中写明需补正的内容")
        case = _open(session, principal, item, applicant, received, "awaiting_correction", contact)
        case.correction = listed
        session.add(case)
        event(session, case, "correction_notified", principal.officer_id, materials=[x["material"] for x in listed])
        notices.issue(session, principal, case, "correction")
        return case


@audit_refusals("case.accept_corrected")
def accept_corrected(principal: Principal, case_id: Any, materials_received: Any) -> Case:
    """The applicant returns with the corrections: accepted that day once everything is there."""
    received = _int_list(materials_received)
    with transaction() as session:
        case = own_case(session, principal, case_id)
        if case.state != "awaiting_correction":
            raise refuse("case.not_awaiting_correction", "该办件不在待补正状态")
        _checked_item(session, principal, case.item_id)
        item = accepted_item(session, case)
        missing = missing_materials(item, received)
        if missing:
            raise refuse("case.materials_missing", f"材料仍不齐全，缺少：{'、'.join(missing)}")
        case.materials_received = received
        return _accept(session, principal, case, item)


@audit_refusals("case.not_accept")
def register_not_accepted(principal: Principal, item_id: Any, applicant_name: Any, id_type: Any, id_number: Any,
                          category: Any, reason: Any, no_conflict: Any, phone: Any = None) -> Case:
    """不予受理: the application is registered (收件) with the reason; the 不予受理决定书 is then signed
    with the approver's key like any decision (decisions.prepare)."""
    applicant = _applicant(applicant_name, id_type, id_number, no_conflict)
    if category not in NOT_ACCEPTED_REASONS:
        raise refuse("case.not_accepted_category", "请选择不予受理的理由类别")
    reason = inputs.reason(reason, "请写明不予受理的具体理由")
    contact = _phone(phone)
    with transaction() as session:
        item = _checked_item(session, principal, item_id)
        case = _open(session, principal, item, applicant, [], "received", contact)
        case.closing_category, case.closing_reason = category, reason
        session.add(case)
        return case


def accepted_item(session: Session, case: Case) -> dict:
    """The item as it stood when the case was accepted (its revision snapshot): review conditions,
    the decision's wording and legal basis come from it, whatever the catalog says today."""
    row = session.exec(select(ItemRevision).where(ItemRevision.item_id == case.item_id,
                                                  ItemRevision.revision == case.item_revision)).first()
    if row is None:
        raise refuse("case.revision_missing", "办件受理时的事项版本缺失，请联系工作组")
    return row.snapshot


def own_case(session: Session, principal: Principal, case_id: Any) -> Case:
    case_id = inputs.record_id(case_id)
    case = session.get(Case, case_id)
    if case is None or case.approver_id != principal.officer_id:
        raise refuse("case.not_own", "办件不存在或不属于您")
    return case
