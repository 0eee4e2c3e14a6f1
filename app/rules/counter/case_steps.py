"""What can happen to a case between receipt and decision, besides the decision itself: the
applicant withdraws (撤回), review finds a circumstance that excludes independent approval (转出, then
routed by the working group), the approver recuses (回避 — handed to another authorized approver),
the working group extends the time limit (延期, 行政许可法 第四十二条). Each is a case event; nothing
is overwritten without its history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import Case, CaseEvent, Category, Decision, Item, Officer, SecurityKey
from app.models.base import utcnow
from app.rules import inputs
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.counter import document_numbers
from app.rules.counter import notices
from app.rules.people import stepup
from app.rules.counter.cases import accepted_item, event, own_case
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN, APPROVER
from app.rules.people.scope import active_authorization, covers

OPEN_STATES = ("received", "awaiting_correction", "accepted")
# 转出: the regulation's exclusions (三(二)) met by this application, found at review.
TRANSFER_REASONS = {
    "site_inspection": "需要对申请材料的实质内容进行实地核查",
    "technical_review": "需要进行技术审查、检验、检测或鉴定",
    "expert_appraisal": "需要组织专家评审",
    "interested_party": "利害关系人提出异议，需要听取利害关系人意见",
    "hearing": "依法需要举行听证",
    "major_legal_review": "属于重大行政许可决定，需要进行法制审核",
}
DUE_SOON_DAYS = 7
NO_TIMING = {"text": "", "overdue": False}
MAX_EXTENSION_DAYS = 10  # 行政许可法 第四十二条: 经本行政机关负责人批准，可以延长十日


@audit_refusals("case.withdraw")
def withdraw(principal: Principal, case_id: Any, reason: Any) -> Case:
    """撤回: the applicant withdraws before the decision; the case ends with a confirmation."""
    reason = inputs.reason(reason, "请填写申请人撤回申请的理由")
    with transaction() as session:
        case = own_case(session, principal.require(APPROVER), case_id)
        if case.state not in OPEN_STATES:
            raise refuse("case.closed", "办件已办结或已终止，不能撤回")
        case.state, case.closed_at, case.closing_category, case.closing_reason = "withdrawn", utcnow(), "withdrawn", reason
        session.add(case)
        event(session, case, "withdrawn", principal.officer_id, reason=reason)
        document_numbers.void_unused(session, case.id, "", "申请人撤回申请，办件终止")
        notices.issue(session, principal, case, "withdrawal", reason=reason)
        return case


@audit_refusals("case.transfer")
def transfer_out(principal: Principal, case_id: Any, category: Any, reason: Any) -> Case:
    """转出独立审批: the case leaves independent handling with a notice and waits on the working
    group's list to be routed to the ordinary procedure."""
    if category not in TRANSFER_REASONS:
        raise refuse("case.transfer_category", "请选择转出独立审批的情形")
    reason = inputs.reason(reason, "请写明转出的具体情况")
    with transaction() as session:
        case = own_case(session, principal.require(APPROVER), case_id)
        if case.state != "accepted":
            raise refuse("case.not_accepted", "只有已受理、未决定的办件可以转出")
        case.state, case.closed_at, case.closing_category, case.closing_reason = "transferred", utcnow(), category, reason
        session.add(case)
        event(session, case, "transferred", principal.officer_id, category=category, reason=reason)
        document_numbers.void_unused(session, case.id, "", "办件转出独立审批")
        notices.issue(session, principal, case, "transfer", category=TRANSFER_REASONS[category], reason=reason)
        return case


@audit_refusals("case.route")
def route(admin: Principal, case_id: Any, note: Any) -> Case:
    """The working group records where a transferred case went (科室, procedure)."""
    admin.require(ADMIN)
    note = inputs.reason(note, "请填写转办去向（承办科室、办理程序）")
    with transaction() as session:
        case = session.get(Case, inputs.record_id(case_id))
        if case is None or case.state != "transferred":
            raise refuse("case.not_transferred", "办件不存在或不是转出办件")
        if case.routed_at is not None:
            raise refuse("case.already_routed", "该办件已转办")
        case.routed_at = utcnow()
        session.add(case)
        event(session, case, "routed", admin.officer_id, note=note)
        return case


def _can_take(session: Session, officer_id: int, item: Item, category_code: str, today: date) -> bool:
    """An approver who could sign this case: an active authorization covering the item and an
    active key bound to it."""
    auth = active_authorization(session, officer_id, today)
    if auth is None or not covers(auth, item, category_code):
        return False
    keys = session.exec(select(SecurityKey).where(SecurityKey.officer_id == officer_id,
                                                  SecurityKey.status == "active",
                                                  SecurityKey.authorization_id == auth.id))
    return any(item.code in k.scope_items for k in keys)


def handover_candidates(principal: Principal, case_id: Any) -> list[Officer]:
    with transaction() as session:
        case = own_case(session, principal.require(APPROVER), case_id)
        item = session.get(Item, case.item_id)
        category = session.get(Category, item.category_id).code
        officers = session.exec(select(Officer).where(Officer.status == "active", Officer.id != principal.officer_id)
                                .order_by(Officer.staff_no))
        return [o for o in officers if APPROVER in o.roles and _can_take(session, o.id, item, category, clock.today())]


@audit_refusals("case.handover")
def hand_over(principal: Principal, case_id: Any, to_officer_id: Any, reason: Any) -> Case:
    """回避: the approver with a conflict of interest hands the case to another authorized approver,
    who must declare no conflict before signing. The acceptance and its time limit stand."""
    reason = inputs.reason(reason, "请说明回避事由")
    target = inputs.record_id(to_officer_id)
    with transaction() as session:
        case = own_case(session, principal.require(APPROVER), case_id)
        if case.state not in OPEN_STATES:
            raise refuse("case.closed", "办件已办结或已终止，不能移交")
        item = session.get(Item, case.item_id)
        officer = session.get(Officer, target)
        if officer is None or target == principal.officer_id or officer.status != "active" \
                or APPROVER not in officer.roles \
                or not _can_take(session, target, item, session.get(Category, item.category_id).code, clock.today()):
            raise refuse("case.handover_target", "接收人须为其他在岗、授权范围和密钥覆盖该事项的独立审批员")
        case.approver_id, case.no_conflict_declared = target, False
        session.add(case)
        event(session, case, "handed_over", principal.officer_id, from_officer=principal.officer_id,
              to_officer=target, reason=reason)
        return case


@audit_refusals("case.extend")
def extend(admin: Principal, case_id: Any, days: Any, reason: Any) -> Case:
    """延期: granted by the working group with a fresh key confirmation, once, at most ten working
    days, before the time limit runs out."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写延期理由（经负责人批准的情况）")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise refuse("case.extension_days", f"延长期限须为 1–{MAX_EXTENSION_DAYS} 个工作日")
    with transaction() as session:
        case = session.get(Case, inputs.record_id(case_id))
        if case is None or case.state != "accepted" or case.deadline is None:
            raise refuse("case.not_extendable", "只有已受理、未决定的办件可以延期")
        if session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "extended")).first():
            raise refuse("case.already_extended", "该办件已延期一次，不能再次延期")
        if clock.today() > case.deadline:
            raise refuse("case.already_overdue", "办件已超过办结期限，不能再延期（决定时须写明逾期原因）")
        confirmed = stepup.require_fresh(session, admin)
        old = case.deadline
        case.deadline, provisional = calendar.load(session).add_workdays(old, days)
        case.deadline_provisional = case.deadline_provisional or provisional
        session.add(case)
        event(session, case, "extended", admin.officer_id, old_deadline=old.isoformat(),
              new_deadline=case.deadline.isoformat(), days=days, reason=reason, **confirmed)
        return case


def timing(session: Session, case: Case, item: dict) -> dict:
    """What the counter shows of the time limit: minutes since acceptance for an on-the-spot item,
    remaining (or overrun) working days for the others."""
    if case.state != "accepted" or case.accepted_at is None:
        return NO_TIMING
    if item["promised_limit_days"] == 0 and clock.today() == case.accepted_at.astimezone(clock.BEIJING).date():
        minutes = int((utcnow() - case.accepted_at).total_seconds() // 60)
        return {"text": f"当场办结·已用时 {minutes} 分钟", "overdue": False}
    left = calendar.load(session).workdays_between(clock.today(), case.deadline)
    if clock.today() > case.deadline:
        return {"text": f"已逾期 {max(-left, 1)} 个工作日", "overdue": True}
    return {"text": "今日到期" if left == 0 else f"剩余 {left} 个工作日", "overdue": False}


def my_cases(principal: Principal, limit: int = 50) -> list[tuple[Case, Item, Decision | None, dict]]:
    """The approver's latest cases, with the decision where there is one and the time limit."""
    principal.require(APPROVER)
    with transaction() as session:
        rows = session.exec(select(Case, Item, Decision).join(Item, Case.item_id == Item.id)
                            .outerjoin(Decision, Decision.case_id == Case.id)
                            .where(Case.approver_id == principal.officer_id)
                            .order_by(Case.id.desc()).limit(limit)).all()
        return [(c, i, d, timing(session, c, accepted_item(session, c)) if c.state == "accepted" else NO_TIMING)
                for c, i, d in rows]


def overdue_and_due(admin: Principal) -> list[tuple[Case, Item, Officer, dict]]:
    """Every accepted case past its deadline or due within a week, for the working group (oldest
    deadline first): in time to extend, or to ask why."""
    admin.require(ADMIN)
    with transaction() as session:
        rows = session.exec(select(Case, Item, Officer).join(Item, Case.item_id == Item.id)
                            .join(Officer, Case.approver_id == Officer.id)
                            .where(Case.state == "accepted", Case.deadline <= clock.today() + timedelta(days=DUE_SOON_DAYS))
                            .order_by(Case.deadline, Case.id).limit(500)).all()
        return [(c, i, o, timing(session, c, accepted_item(session, c))) for c, i, o in rows]


def transferred(admin: Principal) -> list[tuple[Case, Item, Officer]]:
    admin.require(ADMIN)
    with transaction() as session:
        return list(session.exec(select(Case, Item, Officer).join(Item, Case.item_id == Item.id)
                                 .join(Officer, Case.approver_id == Officer.id)
                                 .where(Case.state == "transferred")
                                 .order_by(Case.routed_at.is_not(None), Case.closed_at.desc()).limit(500)).all())


def handover_note(session: Session, case: Case) -> str:
    """For the approver who received a case by 回避: from whom, and why."""
    last = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "handed_over")
                        .order_by(CaseEvent.id.desc())).first()
    if last is None or last.details.get("to_officer") != case.approver_id:
        return ""
    giver = session.get(Officer, last.details.get("from_officer"))
    return f"由{giver.name}（{giver.staff_no}）回避移交，事由：{last.details.get('reason', '')}" if giver else ""


def history(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))
