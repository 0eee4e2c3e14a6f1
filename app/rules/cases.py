"""The counter: open and accept a case of an authorized item (受理), record the review (审查)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import Authorization, Case, Category, Decision, Item, ItemRevision, SecurityKey
from app.models.base import utcnow
from app.rules import audit, calendar, clock, inputs, personal_data
from app.rules.errors import refuse
from app.rules.identity import normalize_id
from app.rules.roles import APPROVER
from app.rules.scope import active_authorization, covers, is_independent, items_in_scope
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


@audit_refusals("case.accept")
def accept_new_case(principal: Principal, item_id: Any, applicant_name: Any, id_type: Any, id_number: Any,
                    materials_received: Any, no_conflict: Any) -> Case:
    """Open and accept in one step: only a complete application is accepted (六(一))."""
    if not isinstance(item_id, int) or isinstance(item_id, bool):
        raise refuse("item.none", "请选择事项")
    name = applicant_name.strip() if isinstance(applicant_name, str) else ""
    if not name or len(name) > 200:
        raise refuse("applicant.name", "请填写申请人名称")
    id_type, id_number = normalize_id(id_type, id_number)
    received = _int_list(materials_received)
    if no_conflict is not True:
        raise refuse("case.conflict_not_declared", "受理前须声明与本申请无利害关系（回避）")
    with transaction() as session:
        auth = _approver_authorization(session, principal)
        item = check_item_in_scope(session, auth, session.get(Item, item_id), _bound_items(session, principal))
        if any(i >= len(item.materials) or i < 0 for i in received):
            raise refuse("input.invalid", "材料清单不符")
        missing = [m["name"] for i, m in enumerate(item.materials) if m.get("required", True) and i not in received]
        if missing:
            raise refuse("case.materials_missing", f"材料不齐全，缺少：{'、'.join(missing)}")
        now = utcnow()
        deadline, provisional = calendar.deadline(session, clock.today(), item.promised_limit_days)
        case = Case(case_no="", item_id=item.id, item_revision=item.revision, approver_id=principal.officer_id,
                    applicant_name=name, applicant_id_type=id_type,
                    applicant_id_encrypted=personal_data.encrypt(id_number),
                    applicant_id_masked=personal_data.mask(id_number), materials_received=received,
                    no_conflict_declared=True, state="accepted", accepted_at=now, deadline=deadline,
                    deadline_provisional=provisional)
        session.add(case)
        session.flush()
        case.case_no = f"SL{now.astimezone(clock.BEIJING):%Y%m%d}{case.id:06d}"  # the Beijing date, not UTC
        session.add(case)
        audit.record(session, "case.accepted", f"case:{case.id}", principal.officer_id, case_no=case.case_no,
                     item_code=item.code, item_revision=item.revision, deadline=deadline.isoformat())
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


def cases_of(principal: Principal, limit: int = 50) -> list[tuple[Case, Item, Decision | None]]:
    """The approver's latest cases, with the decision where there is one."""
    with transaction() as session:
        return list(session.exec(select(Case, Item, Decision).join(Item, Case.item_id == Item.id)
                                 .outerjoin(Decision, Decision.case_id == Case.id)
                                 .where(Case.approver_id == principal.officer_id)
                                 .order_by(Case.id.desc()).limit(limit)).all())
