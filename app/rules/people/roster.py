"""The roster (四, 五): officers, their qualification records and eligibility, their history.
Every change to an officer is a revision with author and reason; nothing is deleted."""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.db import transaction
from app.models import (Authorization, Category, Department, Officer, OfficerRevision, Qualification,
                        SecurityKey)
from app.rules import audit, inputs
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.people import eligibility
from app.rules.people import stepup
from app.rules.catalog.items import Page
from app.rules.errors import refuse
from app.rules.people.keys import new_user_handle
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN, ROLE_NAMES, validate_roles
from app.rules.people.scope import authorization_state
from app.signing.attestation import current_policy

GRADES = ("优秀", "称职", "基本称职", "不称职")
QUALIFICATION_KINDS = {"assessment": "年度考核", "training": "业务培训", "exam": "专门考试",
                       eligibility.REQUALIFICATION: "重新取得资格（工作组决定）"}


def officer_snapshot(officer: Officer) -> dict:
    return {"staff_no": officer.staff_no, "name": officer.name, "department_id": officer.department_id,
            "joined_on": officer.joined_on.isoformat() if officer.joined_on else None,
            "roles": list(officer.roles), "status": officer.status}


def _officer(session: Session, officer_id: Any) -> Officer:
    officer_id = inputs.record_id(officer_id)
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise refuse("officer.unknown", "人员不存在")
    return officer


def _officer_values(session: Session, fields: Any) -> dict:
    if not isinstance(fields, dict):
        raise refuse("input.invalid", "参数无效")
    name = str(fields.get("name") or "").strip()
    staff_no = str(fields.get("staff_no") or "").strip()
    if not name or len(name) > 50:
        raise refuse("officer.invalid", "请填写姓名（不超过 50 字）")
    if not staff_no or len(staff_no) > 32:
        raise refuse("officer.invalid", "请填写工号（不超过 32 字）")
    department = session.exec(select(Department).where(Department.code == str(fields.get("department_code") or ""))).first()
    if department is None:
        raise refuse("officer.invalid", "请选择科室")
    roles = fields.get("roles")
    roles = [r for r in roles if isinstance(r, str)] if isinstance(roles, list) else []
    return {"name": name, "staff_no": staff_no, "department_id": department.id,
            "joined_on": inputs.day(fields.get("joined_on"), "在职起始日期"), "roles": validate_roles(roles)}


def _revise(session: Session, officer: Officer, admin: Principal, reason: str, action: str,
            step_up: dict | None = None) -> None:
    session.add(OfficerRevision(officer_id=officer.id, snapshot=officer_snapshot(officer),
                                changed_by=admin.officer_id, reason=reason))
    audit.record(session, action, f"officer:{officer.id}", admin.officer_id, reason=reason,
                 **officer_snapshot(officer), **(step_up or {}))


@audit_refusals("officer.create")
def create_officer(admin: Principal, fields: Any, reason: Any) -> Officer:
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    with transaction() as session:
        values = _officer_values(session, fields)
        # Roles are power (an admin registers keys, an auditor reads every decision): granting
        # any needs the admin's own key again, recorded with the change.
        proof = stepup.require_fresh(session, admin) if values["roles"] else None
        if session.exec(select(Officer).where(Officer.staff_no == values["staff_no"])).first():
            raise refuse("officer.duplicate", f"工号 {values['staff_no']} 已存在")
        officer = Officer(**values, user_handle=new_user_handle())
        session.add(officer)
        session.flush()
        _revise(session, officer, admin, reason, "officer.created", proof)
        return officer


@audit_refusals("officer.update")
def update_officer(admin: Principal, officer_id: Any, fields: Any, reason: Any) -> Officer:
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    with transaction() as session:
        officer = _officer(session, officer_id)
        values = _officer_values(session, fields)
        if values["staff_no"] != officer.staff_no:
            raise refuse("officer.staff_no_fixed", "工号不可修改")
        if officer.status != "active":
            raise refuse("officer.exited", "人员已退出")
        if all(getattr(officer, k) == v for k, v in values.items()):
            raise refuse("officer.unchanged", "内容没有变化")
        proof = None
        if sorted(values["roles"]) != sorted(officer.roles):
            if officer.id == admin.officer_id:
                raise refuse("officer.self_roles", "不能修改本人的角色，请由其他管理员办理")
            proof = stepup.require_fresh(session, admin)
        for k, v in values.items():
            setattr(officer, k, v)
        session.add(officer)
        _revise(session, officer, admin, reason, "officer.roles_changed" if proof else "officer.revised", proof)
        return officer


@audit_refusals("officer.exit")
def exit_officer(admin: Principal, officer_id: Any, reason: Any) -> Officer:
    """退出: the account stops, authorizations are revoked and keys stop, all on the record."""
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        officer = _officer(session, officer_id)
        if officer.status != "active":
            raise refuse("officer.exited", "人员已退出")
        if officer.id == admin.officer_id:
            raise refuse("officer.self_exit", "不能办理本人退出")
        now = clock.now_beijing()
        officer.status = "exited"
        session.add(officer)
        for auth in session.exec(select(Authorization).where(Authorization.officer_id == officer.id,
                                                             Authorization.revoked_at.is_(None))):
            auth.revoked_at, auth.revoked_by, auth.revoke_reason = now, admin.officer_id, f"人员退出：{reason}"
            session.add(auth)
        for key in session.exec(select(SecurityKey).where(SecurityKey.officer_id == officer.id,
                                                          SecurityKey.status != "revoked")):
            key.status, key.revoked_at, key.revoked_by, key.revoke_reason = "revoked", now, admin.officer_id, \
                f"人员退出：{reason}"
            session.add(key)
            certificates.revoke(session, f"人员退出：{reason}", key_id=key.id, at=now)
        _revise(session, officer, admin, reason, "officer.exited")
        audit.record(session, "officer.exit_step_up", f"officer:{officer.id}", admin.officer_id, **proof)
        return officer


@audit_refusals("qualification.add")
def add_qualification(admin: Principal, officer_id: Any, fields: Any) -> Qualification:
    """A new record; a correction names the record it replaces (corrects_id). A re-qualification is
    the working group's decision that lifts a disqualification or a stop on signing (四): admin power,
    so it needs the admin's step-up, and there must be something to lift."""
    admin.require(ADMIN)
    if not isinstance(fields, dict):
        raise refuse("input.invalid", "参数无效")
    kind = fields.get("kind")
    if kind not in QUALIFICATION_KINDS:
        raise refuse("qualification.invalid", "请选择记录类型")
    record = Qualification(officer_id=0, kind=kind, note=str(fields.get("note") or "")[:500])
    if kind == "assessment":
        try:
            record.year = int(str(fields.get("year") or "").strip())
        except ValueError:
            raise refuse("qualification.invalid", "请填写考核年度")
        if fields.get("grade") not in GRADES:
            raise refuse("qualification.invalid", f"考核等次须为{'、'.join(GRADES)}之一")
        record.grade = fields["grade"]
    else:
        record.on_date = inputs.day(fields.get("on_date"), "日期")
        record.title = str(fields.get("title") or "").strip()[:200]
        if not record.title:
            raise refuse("qualification.invalid", "请填写培训或考试名称")
        if record.on_date > clock.today():
            raise refuse("qualification.invalid", "日期不能晚于今天")
        if kind == "exam":
            if fields.get("passed") not in ("yes", "no", True, False):
                raise refuse("qualification.invalid", "请选择考试结果")
            record.passed = fields.get("passed") in ("yes", True)
            record.score = str(fields.get("score") or "").strip()[:32] or None
    with transaction() as session:
        officer = _officer(session, officer_id)
        record.officer_id, record.recorded_by = officer.id, admin.officer_id
        corrects = fields.get("corrects_id")
        if corrects not in (None, ""):
            old = session.get(Qualification, int(corrects)) if str(corrects).isdigit() else None
            if old is None or old.officer_id != officer.id or old.kind != kind:
                raise refuse("qualification.invalid", "被更正的记录不存在或类型不符")
            record.corrects_id = old.id
        proof = {}
        if kind == eligibility.REQUALIFICATION:
            proof = stepup.require_fresh(session, admin)
            if not eligibility.signing_block(qualifications(session, officer.id),
                                             eligibility.last_disqualification(session, officer.id)):
                raise refuse("qualification.nothing_to_lift",
                             "该人员没有被取消资格或暂停签署的记录，无须登记重新取得资格")
        session.add(record)
        session.flush()
        audit.record(session, "qualification.recorded", f"officer:{officer.id}", admin.officer_id,
                     qualification_id=record.id, kind=kind, year=record.year, grade=record.grade,
                     on_date=record.on_date.isoformat() if record.on_date else None, passed=record.passed,
                     corrects_id=record.corrects_id, **proof)
        return record


def qualifications(session: Session, officer_id: int) -> list[Qualification]:
    return list(session.exec(select(Qualification).where(Qualification.officer_id == officer_id)
                             .order_by(Qualification.recorded_at.desc())))


def search(principal: Principal, text: str = "", department_code: str = "", role: str = "",
           page: int = 1, page_size: int = 20) -> Page:
    principal.require(ADMIN)
    page_size = max(1, min(int(page_size), 100))
    with transaction() as session:
        query = select(Officer)
        text = (text or "").strip()[:50]
        if text:
            query = query.where(or_(Officer.staff_no.like(f"%{text}%"), Officer.name.like(f"%{text}%")))
        if department_code:
            query = query.join(Department, Officer.department_id == Department.id).where(Department.code == department_code)
        officers = list(session.exec(query.order_by(Officer.staff_no)))
        if role in ROLE_NAMES:  # roles are a JSON list: filtered here, portable across databases
            officers = [o for o in officers if role in o.roles]
        total = len(officers)
        pages = max(1, math.ceil(total / page_size))
        page = max(1, min(int(page), pages))
        shown = officers[(page - 1) * page_size: page * page_size]
        category_names = {c.code: c.name for c in session.exec(select(Category))}
        rows = [_overview_row(session, o, category_names) for o in shown]
        return Page(rows, total, page, pages)


def _overview_row(session: Session, officer: Officer, category_names: dict):
    today = clock.today()
    auth = session.exec(select(Authorization).where(Authorization.officer_id == officer.id)
                        .order_by(Authorization.granted_at.desc())).first()
    state = authorization_state(auth, today) if auth else "none"
    scope = "、".join([*(f"{category_names.get(c, c)}类" for c in auth.scope_categories),
                       *auth.scope_items]) if auth else ""
    n_keys = sum(shown_key_status(session, key, today) == "active" for key in session.exec(
        select(SecurityKey).where(SecurityKey.officer_id == officer.id, SecurityKey.status == "active")))
    return officer, auth, state, scope, n_keys


def shown_key_status(session: Session, key: SecurityKey, today) -> str:
    """What a key can do today, as the roster shows it: its own status, or — for an active key whose
    bound authorization was revoked or has expired — stopped with it (signing and sessions refuse it)."""
    if key.status != "active" or key.authorization_id is None:
        return key.status
    state = authorization_state(session.get(Authorization, key.authorization_id), today)
    return {"revoked": "authorization_revoked", "expired": "authorization_expired"}.get(state, key.status)


def key_statuses(principal: Principal, officer_id: int | None = None) -> dict[int, str]:
    """shown_key_status of every key (of one officer), by key id."""
    principal.require(ADMIN)
    today = clock.today()
    with transaction() as session:
        query = select(SecurityKey)
        if officer_id is not None:
            query = query.where(SecurityKey.officer_id == officer_id)
        return {k.id: shown_key_status(session, k, today) for k in session.exec(query)}


def keys_overview(principal: Principal, officer_id: int | None = None):
    principal.require(ADMIN)
    with transaction() as session:
        query = select(SecurityKey, Officer).join(Officer, SecurityKey.officer_id == Officer.id)
        if officer_id is not None:
            query = query.where(SecurityKey.officer_id == officer_id)
        return list(session.exec(query.order_by(SecurityKey.id.desc())).all())


def officer_detail(principal: Principal, officer_id: Any):
    """(officer, department name, qualification records, eligibility, authorizations, history)."""
    principal.require(ADMIN)
    with transaction() as session:
        officer = _officer(session, officer_id)
        records = qualifications(session, officer.id)
        auths = list(session.exec(select(Authorization).where(Authorization.officer_id == officer.id)
                                  .order_by(Authorization.granted_at.desc())))
        department = session.get(Department, officer.department_id) if officer.department_id else None
        return (officer, department.name if department else "", records,
                eligibility.conditions(officer, records, clock.today(),
                                       eligibility.last_disqualification(session, officer.id)),
                auths, _history(session, officer))


def _history(session: Session, officer: Officer) -> list[tuple]:
    """(time, what, reason) — from the records themselves, newest first."""
    rows = [(r.changed_at, "名册信息变更" if i else "登记入名册", r.reason)
            for i, r in enumerate(session.exec(select(OfficerRevision).where(OfficerRevision.officer_id == officer.id)
                                               .order_by(OfficerRevision.changed_at)))]
    for q in qualifications(session, officer.id):
        what = {"assessment": f"{q.year} 年度考核：{q.grade}", "training": f"培训：{q.title}（{q.on_date}）",
                "exam": f"考试：{q.title}（{q.on_date}，{'通过' if q.passed else '未通过'}）",
                eligibility.REQUALIFICATION: f"重新取得资格：{q.title}（{q.on_date}）"}[q.kind]
        rows.append((q.recorded_at, ("更正 " if q.corrects_id else "") + what, q.note))
    for a in session.exec(select(Authorization).where(Authorization.officer_id == officer.id)):
        rows.append((a.granted_at, f"授权 #{a.id}（{a.valid_from} 至 {a.valid_until}）" +
                     ("，续期" if a.renews_id else ""), a.grant_reason))
        if a.revoked_at:
            rows.append((a.revoked_at, f"授权 #{a.id} 撤销", a.revoke_reason or ""))
        if a.superseded_at:
            rows.append((a.superseded_at, f"授权 #{a.id} 由续期取代", ""))
    for k in session.exec(select(SecurityKey).where(SecurityKey.officer_id == officer.id)):
        rows.append((k.registered_at, f"登记密钥 #{k.id}", ""))
        if k.suspect_at:
            rows.append((k.suspect_at, f"密钥 #{k.id} 计数器异常，暂停", ""))
        if k.revoked_at:
            rows.append((k.revoked_at, f"密钥 #{k.id} 停用", k.revoke_reason or ""))
    return sorted(rows, key=lambda r: r[0], reverse=True)


def attestation_policy(principal: Principal):
    principal.require(ADMIN)
    with transaction() as session:
        return current_policy(session)


def policy_with(principal: Principal, aaguid: Any, root_pem: Any, reset: bool) -> tuple[list, dict]:
    """The allow list and roots after adding one model to the current policy (or none, on reset)."""
    policy = attestation_policy(principal)
    if reset:
        return [], {}
    if not isinstance(aaguid, str) or not isinstance(root_pem, str) or not aaguid.strip() or not root_pem.strip():
        raise refuse("attestation.model_incomplete", "请填写型号 AAGUID 及其根证书（PEM）")
    try:
        model = str(uuid.UUID(aaguid.strip()))
    except ValueError:
        raise refuse("attestation.bad_aaguid", f"AAGUID 格式错误：{aaguid.strip()[:40]}")
    allowed = list(policy.allowed_aaguids) if policy else []
    roots = {k: list(v) for k, v in (policy.pinned_roots if policy else {}).items()}
    allowed.append(model)
    roots.setdefault(model, []).append(root_pem.strip())
    return allowed, roots

