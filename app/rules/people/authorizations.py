"""Authorizations (三(二), 五): granted to eligible officers for categories and/or items, one
year by default; renewed as a new record (keys re-bound); revoked with a reason; expired by
date. Each change needs the admin's step-up and is on the audit record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import Authorization, Category, Item, Officer, SecurityKey
from app.rules import audit, inputs
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.people import eligibility
from app.rules.people import stepup
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN, APPROVER
from app.rules.people.roster import _officer, qualifications
from app.rules.people.scope import (active_authorization, authorization_state, pending_widening, resolve_items,
                              scope_digest)

EXPIRY_WARNING_DAYS = 30


def one_year_from(start: date) -> date:
    """The last day of a one-year term starting on `start` (五: 授权期限为一年)."""
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def _scope(session: Session, categories: Any, items: Any) -> tuple[list[str], list[str]]:
    categories = sorted({c.strip() for c in categories if isinstance(c, str) and c.strip()}) \
        if isinstance(categories, list) else []
    items = sorted({i.strip() for i in items if isinstance(i, str) and i.strip()}) if isinstance(items, list) else []
    if not categories and not items:
        raise refuse("authorization.empty_scope", "授权范围不能为空：请选择审批门类或事项")
    known_categories = {c.code for c in session.exec(select(Category))}
    known_items = {i.code for i in session.exec(select(Item))}
    unknown = [c for c in categories if c not in known_categories] + [i for i in items if i not in known_items]
    if unknown:
        raise refuse("authorization.unknown_scope", f"授权范围中有不存在的门类或事项：{'、'.join(unknown)}")
    return categories, items


def _eligible_approver(session: Session, officer: Officer) -> None:
    if officer.status != "active":
        raise refuse("authorization.officer_exited", "人员已退出，不能授权")
    if APPROVER not in officer.roles:
        raise refuse("authorization.not_approver", f"{officer.name} 不是独立审批员角色")
    records = qualifications(session, officer.id)
    # Disqualified by an annual assessment (七(三)): no authorization without a re-qualification since.
    disqualified_at = eligibility.last_disqualification(session, officer.id)
    failing = eligibility.failing(officer, records, clock.today(), disqualified_at)
    if failing:
        raise refuse("authorization.ineligible",
                     f"{officer.name} 不符合资格条件：" + "；".join(f"{c.name}（{c.detail}）" for c in failing))
    block = eligibility.signing_block(records, disqualified_at)
    if block:
        raise refuse("authorization.ineligible", f"{officer.name} 不能授权：{block}")


@audit_refusals("authorization.grant")
def grant(admin: Principal, officer_id: Any, categories: Any, items: Any, reason: Any,
          valid_from: Any = None, valid_until: Any = None) -> Authorization:
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    start = inputs.day(valid_from, "生效日期", required=False) or clock.today()
    end = inputs.day(valid_until, "截止日期", required=False) or one_year_from(start)
    if end < start:
        raise refuse("authorization.bad_term", "截止日期早于生效日期")
    if end > one_year_from(start):
        raise refuse("authorization.term_too_long", "授权期限不超过一年，到期后重新授权")
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        officer = _officer(session, officer_id)
        _eligible_approver(session, officer)
        if active_authorization(session, officer.id, start):
            raise refuse("authorization.exists", "该人员已有有效授权：请续期，或先撤销")
        cats, its = _scope(session, categories, items)
        auth = Authorization(officer_id=officer.id, scope_categories=cats, scope_items=its, valid_from=start,
                             valid_until=end, granted_by=admin.officer_id, grant_reason=reason)
        session.add(auth)
        session.flush()
        audit.record(session, "authorization.granted", f"authorization:{auth.id}", admin.officer_id,
                     officer_id=officer.id, categories=cats, items=its, valid_from=start.isoformat(),
                     valid_until=end.isoformat(), reason=reason, resolved_items=resolve_items(session, auth),
                     **proof)
        return auth


def _authorization(session: Session, authorization_id: Any) -> Authorization:
    authorization_id = inputs.record_id(authorization_id)
    auth = session.get(Authorization, authorization_id)
    if auth is None:
        raise refuse("authorization.unknown", "授权不存在")
    return auth


@audit_refusals("authorization.renew")
def renew(admin: Principal, authorization_id: Any, reason: Any, categories: Any = None,
          items: Any = None) -> Authorization:
    """A new one-year record from today that continues the old one (scope kept unless given);
    the old one is marked renewed, and its keys are re-bound to the new scope."""
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    today = clock.today()
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        old = _authorization(session, authorization_id)
        state = authorization_state(old, today)
        if state not in ("active", "expired"):
            raise refuse("authorization.not_renewable", "已撤销或已续期的授权不能续期")
        officer = session.get(Officer, old.officer_id)
        _eligible_approver(session, officer)
        cats, its = _scope(session, old.scope_categories if categories is None else categories,
                           old.scope_items if items is None else items)
        new = Authorization(officer_id=officer.id, scope_categories=cats, scope_items=its, valid_from=today,
                            valid_until=one_year_from(today), granted_by=admin.officer_id, grant_reason=reason,
                            renews_id=old.id)
        session.add(new)
        old.superseded_at = clock.now_beijing()
        session.add(old)
        session.flush()
        rebound, bound_items, digest = _bind_keys(session, old.id, new)
        audit.record(session, "authorization.renewed", f"authorization:{new.id}", admin.officer_id,
                     renews=old.id, officer_id=officer.id, categories=cats, items=its,
                     valid_until=new.valid_until.isoformat(), rebound_keys=rebound, bound_items=bound_items,
                     scope_digest=digest, reason=reason, **proof)
        return new


def _bind_keys(session: Session, from_authorization_id: int, auth: Authorization) -> tuple[list[int], list[str], str]:
    """Bind the keys of `from_authorization_id` to `auth` as today's catalog resolves it."""
    bound_items = resolve_items(session, auth)
    digest = scope_digest(auth, bound_items)
    rebound = []
    for key in session.exec(select(SecurityKey).where(SecurityKey.authorization_id == from_authorization_id,
                                                      SecurityKey.status != "revoked")):
        key.authorization_id, key.scope_items, key.scope_digest = auth.id, bound_items, digest
        session.add(key)
        session.flush()
        if key.status == "active":  # a suspect key gets its certificate when an admin clears it
            certificates.issue(session, key, auth)
        rebound.append(key.id)
    return rebound, bound_items, digest


@audit_refusals("authorization.widen")
def confirm_widening(admin: Principal, authorization_id: Any, reason: Any) -> list[str]:
    """A catalog edit never widens a bound key by itself: an admin confirms, with step-up, that the
    keys of this authorization may sign the items it now covers. Returns the codes added."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "确认扩大密钥范围必须填写原因")
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        auth = _authorization(session, authorization_id)
        if authorization_state(auth, clock.today()) != "active":
            raise refuse("authorization.not_active", "授权不在有效期内")
        keys = session.exec(select(SecurityKey).where(SecurityKey.authorization_id == auth.id,
                                                      SecurityKey.status != "revoked")).all()
        before = sorted({code for key in keys for code in key.scope_items})
        added = pending_widening(session, auth, before)
        if not keys or not added:
            raise refuse("authorization.nothing_to_widen", "没有待确认扩大的事项")
        rebound, bound_items, digest = _bind_keys(session, auth.id, auth)
        audit.record(session, "authorization.keys_widened", f"authorization:{auth.id}", admin.officer_id,
                     officer_id=auth.officer_id, added_items=added, bound_items=bound_items, rebound_keys=rebound,
                     scope_digest=digest, reason=reason, **proof)
        return added


@audit_refusals("authorization.revoke")
def revoke(admin: Principal, authorization_id: Any, reason: Any) -> Authorization:
    """退出 or withdrawal: the keys bound to it stop at once (checked on every signature and event)."""
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        auth = _authorization(session, authorization_id)
        if auth.revoked_at is not None or auth.superseded_at is not None:
            raise refuse("authorization.not_revocable", "该授权已撤销或已续期")
        revoke_in(session, admin.officer_id, auth, reason, proof)
        return auth


def revoke_in(session: Session, admin_id: int, auth: Authorization, reason: str, proof: dict,
              **details) -> list[str]:
    """Revoke inside the caller's transaction (the caller checked the admin and the step-up): the
    authorization's certificates are revoked and a new CRL published. Returns the serials."""
    auth.revoked_at, auth.revoked_by, auth.revoke_reason = clock.now_beijing(), admin_id, reason
    session.add(auth)
    serials = certificates.revoke(session, f"授权撤销：{reason}", authorization_id=auth.id, at=auth.revoked_at)
    audit.record(session, "authorization.revoked", f"authorization:{auth.id}", admin_id,
                 officer_id=auth.officer_id, reason=reason, revoked_certificates=serials, **details, **proof)
    return serials


def awaiting_widening(principal: Principal, auth: Authorization) -> list[str]:
    """Item codes this active authorization now covers that its keys may not sign yet."""
    principal.require(ADMIN)
    if authorization_state(auth, clock.today()) != "active":
        return []
    with transaction() as session:
        keys = session.exec(select(SecurityKey).where(SecurityKey.authorization_id == auth.id,
                                                      SecurityKey.status != "revoked")).all()
        return pending_widening(session, auth, sorted({c for k in keys for c in k.scope_items})) if keys else []


def expiring(principal: Principal, days: int = EXPIRY_WARNING_DAYS) -> list[tuple[Authorization, Officer]]:
    """Active authorizations ending within `days`: the working group re-authorizes in time."""
    principal.require(ADMIN)
    today = clock.today()
    with transaction() as session:
        rows = session.exec(select(Authorization, Officer).join(Officer, Authorization.officer_id == Officer.id)
                            .where(Authorization.valid_until <= today + timedelta(days=days))
                            .order_by(Authorization.valid_until)).all()
        return [(a, o) for a, o in rows if authorization_state(a, today) == "active"]
