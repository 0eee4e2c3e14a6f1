"""Security keys: first-admin enrollment link, registration by an admin, revocation.

A key registered for an approver is bound to the approver's active authorization (scope digest
kept); admins and auditors get keys that open sessions but can sign no decision."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, Optional

from fido2.utils import websafe_encode
from sqlalchemy import update
from sqlmodel import Session, select

from app.config import settings
from app.db import transaction
from app.models import EnrollmentToken, Officer, SecurityKey
from app.models.base import utcnow
from app.rules import audit, clock
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.roles import ADMIN, APPROVER, validate_roles
from app.rules.scope import active_authorization, scope_digest
from app.signing import webauthn


def new_user_handle() -> str:
    return secrets.token_hex(32)


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_first_admin_link(staff_no: str, name: str) -> str:
    """Bootstrap: only while no admin holds an active key. Returns the one-time enrollment URL."""
    token = secrets.token_urlsafe(32)
    with transaction() as session:
        holders = session.exec(select(Officer).join(SecurityKey, SecurityKey.officer_id == Officer.id)
                               .where(SecurityKey.status == "active")).all()
        if any(ADMIN in o.roles for o in holders):
            raise refuse("enroll.already_bootstrapped", "系统已有管理员密钥，请由管理员在人员名册中登记密钥")
        officer = session.exec(select(Officer).where(Officer.staff_no == staff_no)).first()
        if officer is None:
            officer = Officer(staff_no=staff_no, name=name, roles=[ADMIN], user_handle=new_user_handle())
            session.add(officer)
            session.flush()
        elif ADMIN not in officer.roles:
            raise refuse("enroll.not_admin", f"工号 {staff_no} 已存在且不是管理员")
        session.add(EnrollmentToken(token_sha256=_token_sha256(token), officer_id=officer.id,
                                    expires_at=utcnow() + timedelta(hours=settings.enrollment_ttl_hours)))
        audit.record(session, "enrollment.link_created", f"officer:{officer.id}", None,
                     staff_no=staff_no, expires_in_hours=settings.enrollment_ttl_hours)
    return f"{settings.origin}/enroll?token={token}"


def _enrollment_token(session: Session, token: Any) -> EnrollmentToken:
    if not isinstance(token, str) or not token:
        raise refuse("enroll.no_token", "注册链接无效")
    row = session.exec(select(EnrollmentToken)
                       .where(EnrollmentToken.token_sha256 == _token_sha256(token))).first()
    if row is None:
        raise refuse("enroll.unknown_token", "注册链接无效")
    if row.used_at is not None:
        raise refuse("enroll.token_used", "该注册链接已使用过，不能再次使用")
    if row.expires_at <= utcnow():
        raise refuse("enroll.token_expired", "该注册链接已过期，请重新生成")
    return row


def begin_enrollment(token: Any) -> tuple[str, str, str]:
    """(challenge id, creation options JSON, officer name) for the enrollment page."""
    with transaction() as session:
        row = _enrollment_token(session, token)
        officer = session.get(Officer, row.officer_id)
        options, state = webauthn.begin_registration(officer.user_handle, officer.staff_no, officer.name, [])
        challenge_id = webauthn.store_challenge(session, "enroll", state, officer.id,
                                                {"token_sha256": row.token_sha256})
    return challenge_id, options, officer.name


def finish_enrollment(token: Any, challenge_id: Any, response: Any) -> Officer:
    with transaction() as session:
        row = _enrollment_token(session, token)
    challenge = webauthn.consume_challenge(challenge_id, "enroll", row.officer_id)
    if challenge.context.get("token_sha256") != row.token_sha256:
        raise refuse("enroll.token_mismatch", "注册请求与链接不符")
    auth_data, registration = webauthn.complete_registration(challenge.state, response)
    with transaction() as session:
        # Single use even when two browsers race: only one UPDATE matches.
        claimed = session.execute(update(EnrollmentToken)
                                  .where(EnrollmentToken.id == row.id, EnrollmentToken.used_at.is_(None))
                                  .values(used_at=utcnow())).rowcount
        if claimed != 1:
            raise refuse("enroll.token_used", "该注册链接已使用过，不能再次使用")
        officer = session.get(Officer, row.officer_id)
        _store_key(session, officer, auth_data, registration, response, officer.id, None)
    return officer


def begin_key_registration(admin: Principal, officer_id: Any) -> tuple[str, str]:
    """Start registering a key for an officer, in person, in the admin's browser."""
    admin.require(ADMIN)
    if not isinstance(officer_id, int) or isinstance(officer_id, bool):
        raise refuse("input.invalid", "参数无效")
    with transaction() as session:
        officer = session.get(Officer, officer_id)
        if officer is None or officer.status != "active":
            raise refuse("officer.unknown", "人员不存在或已退出")
        _authorization_for_key(session, officer)
        existing = [k.credential_id for k in session.exec(
            select(SecurityKey).where(SecurityKey.officer_id == officer.id)).all()]
        options, state = webauthn.begin_registration(officer.user_handle, officer.staff_no, officer.name, existing)
        challenge_id = webauthn.store_challenge(session, "register", state, admin.officer_id, {"officer_id": officer.id})
    return challenge_id, options


def finish_key_registration(admin: Principal, challenge_id: Any, response: Any) -> SecurityKey:
    admin.require(ADMIN)
    challenge = webauthn.consume_challenge(challenge_id, "register", admin.officer_id)
    auth_data, registration = webauthn.complete_registration(challenge.state, response)
    with transaction() as session:
        officer = session.get(Officer, challenge.context["officer_id"])
        authorization = _authorization_for_key(session, officer)
        return _store_key(session, officer, auth_data, registration, response, admin.officer_id, authorization)


def _authorization_for_key(session: Session, officer: Officer):
    validate_roles(officer.roles)
    if APPROVER not in officer.roles:
        return None
    authorization = active_authorization(session, officer.id, clock.today())
    if authorization is None:
        raise refuse("key.no_authorization", f"{officer.name} 没有有效的独立审批授权，不能登记密钥")
    return authorization


def _transports(raw_response: dict) -> list[str]:
    transports = raw_response.get("response", {}).get("transports") or []
    return [t for t in transports if isinstance(t, str)][:8]


def _store_key(session: Session, officer: Officer, auth_data, registration, raw_response: dict,
               registered_by: int, authorization) -> SecurityKey:
    credential = auth_data.credential_data
    if session.exec(select(SecurityKey).where(SecurityKey.credential_id == credential.credential_id)).first():
        raise refuse("key.duplicate", "该密钥已登记过")
    key = SecurityKey(
        officer_id=officer.id, credential_id=credential.credential_id, credential_data=bytes(credential),
        aaguid=str(credential.aaguid), attestation_format=registration.response.attestation_object.fmt,
        transports=_transports(raw_response),
        sign_count=auth_data.counter, registered_by=registered_by,
        authorization_id=authorization.id if authorization else None,
        scope_digest=scope_digest(authorization) if authorization else None)
    session.add(key)
    session.flush()
    audit.record(session, "key.registered", f"key:{key.id}", registered_by, officer_id=officer.id,
                 credential_id=websafe_encode(key.credential_id), aaguid=key.aaguid,
                 attestation_format=key.attestation_format, authorization_id=key.authorization_id,
                 scope_digest=key.scope_digest)
    return key


def revoke_key(admin: Principal, key_id: Any, reason: Any) -> SecurityKey:
    admin.require(ADMIN)
    if not isinstance(key_id, int) or isinstance(key_id, bool):
        raise refuse("input.invalid", "参数无效")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise refuse("key.revoke_reason_missing", "停用密钥必须填写原因")
    with transaction() as session:
        key = session.get(SecurityKey, key_id)
        if key is None:
            raise refuse("key.unknown", "密钥不存在")
        if key.status == "revoked":
            raise refuse("key.already_revoked", "该密钥已停用")
        # The public key stays: signatures made before revoked_at remain verifiable.
        key.status, key.revoked_at, key.revoked_by, key.revoke_reason = "revoked", utcnow(), admin.officer_id, reason[:500]
        session.add(key)
        audit.record(session, "key.revoked", f"key:{key.id}", admin.officer_id, officer_id=key.officer_id, reason=reason[:500])
        return key


def mark_suspect(key_id: int, stored: int, received: int) -> None:
    with transaction() as session:
        key = session.get(SecurityKey, key_id)
        if key is not None and key.status == "active":
            key.status = "suspect"
            session.add(key)
        audit.record(session, "key.sign_count_regression", f"key:{key_id}", None,
                     stored=stored, received=received)


def active_keys(session: Session, officer_id: int) -> list[SecurityKey]:
    return list(session.exec(select(SecurityKey).where(SecurityKey.officer_id == officer_id,
                                                       SecurityKey.status == "active")).all())


def officer_by_staff_no(session: Session, staff_no: Any) -> Optional[Officer]:
    if not isinstance(staff_no, str) or not staff_no.strip():
        return None
    return session.exec(select(Officer).where(Officer.staff_no == staff_no.strip())).first()
