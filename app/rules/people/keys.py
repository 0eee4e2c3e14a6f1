"""Security keys: first-admin enrollment link, registration by an admin, revocation.

A key registered for an approver is bound to the approver's active authorization (scope digest
kept); admins and auditors get keys that open sessions but can sign no decision."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from fido2.utils import websafe_encode
from sqlalchemy import update
from sqlmodel import Session, select

from app.config import settings
from app.db import transaction
from app.models import AttestationPolicy, EnrollmentToken, Officer, SecurityKey
from app.models.base import utcnow
from app.rules import audit, inputs
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.people.roles import ADMIN, APPROVER, validate_roles
from app.rules.people.scope import active_authorization, resolve_items, scope_digest
from app.rules.people import stepup
from app.rules.refusals import audit_refusals
from app.signing import attestation, webauthn


def new_user_handle() -> str:
    return secrets.token_hex(32)


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _admin_holds_key(session: Session) -> bool:
    holders = session.exec(select(Officer).join(SecurityKey, SecurityKey.officer_id == Officer.id)
                           .where(SecurityKey.status == "active")).all()
    return any(ADMIN in o.roles for o in holders)


def _kill_outstanding_links(session: Session, why: str, keep_id: int | None = None) -> list[int]:
    """Every unused, unrevoked link dies (a new link supersedes them; an admin key ends bootstrap)."""
    killed = [t.id for t in session.exec(select(EnrollmentToken).where(
        EnrollmentToken.used_at.is_(None), EnrollmentToken.revoked_at.is_(None))) if t.id != keep_id]
    if killed:
        session.execute(update(EnrollmentToken).where(EnrollmentToken.id.in_(killed)).values(revoked_at=utcnow()))
        audit.record(session, "enrollment.links_revoked", "enrollment", None, token_ids=killed, why=why)
    return killed


def create_first_admin_link(staff_no: str, name: str) -> str:
    """Bootstrap: only while no admin holds an active key. Returns the one-time enrollment URL;
    every earlier link dies."""
    token = secrets.token_urlsafe(32)
    with transaction() as session:
        if _admin_holds_key(session):
            raise refuse("enroll.already_bootstrapped", "系统已有管理员密钥，请由管理员在人员名册中登记密钥")
        officer = session.exec(select(Officer).where(Officer.staff_no == staff_no)).first()
        if officer is None:
            officer = Officer(staff_no=staff_no, name=name, roles=[ADMIN], user_handle=new_user_handle())
            session.add(officer)
            session.flush()
        elif ADMIN not in officer.roles:
            raise refuse("enroll.not_admin", f"工号 {staff_no} 已存在且不是管理员")
        _kill_outstanding_links(session, "superseded")
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
    if row.revoked_at is not None or _admin_holds_key(session):
        raise refuse("enroll.token_revoked", "该注册链接已作废：已生成新链接，或系统已有管理员密钥")
    if row.expires_at <= utcnow():
        raise refuse("enroll.token_expired", "该注册链接已过期，请重新生成")
    return row


@audit_refusals("enroll.begin")
def begin_enrollment(token: Any) -> tuple[str, str, str]:
    """(challenge id, creation options JSON, officer name) for the enrollment page."""
    with transaction() as session:
        row = _enrollment_token(session, token)
        officer = session.get(Officer, row.officer_id)
        conveyance = attestation.conveyance(attestation.current_policy(session))
        options, state = webauthn.begin_registration(officer.user_handle, officer.staff_no, officer.name, [],
                                                     conveyance)
        challenge_id = webauthn.store_challenge(session, "enroll", state, officer.id,
                                                {"token_sha256": row.token_sha256})
    return challenge_id, options, officer.name


@audit_refusals("enroll.finish")
def finish_enrollment(token: Any, challenge_id: Any, response: Any) -> Officer:
    with transaction() as session:
        row = _enrollment_token(session, token)
    challenge = webauthn.consume_challenge(challenge_id, "enroll", row.officer_id)
    if challenge.context.get("token_sha256") != row.token_sha256:
        raise refuse("enroll.token_mismatch", "注册请求与链接不符")
    auth_data, registration = webauthn.complete_registration(challenge.state, response)
    with transaction() as session:
        _enrollment_token(session, token)  # again, inside the transaction that claims it
        # Single use even when two browsers race: only one UPDATE matches.
        claimed = session.execute(update(EnrollmentToken)
                                  .where(EnrollmentToken.id == row.id, EnrollmentToken.used_at.is_(None),
                                         EnrollmentToken.revoked_at.is_(None))
                                  .values(used_at=utcnow())).rowcount
        if claimed != 1:
            raise refuse("enroll.token_used", "该注册链接已使用过，不能再次使用")
        officer = session.get(Officer, row.officer_id)
        _store_key(session, officer, auth_data, registration, response, officer.id, None, {})
        _kill_outstanding_links(session, "admin_key_registered", keep_id=row.id)
    return officer


@audit_refusals("key.register.begin")
def begin_key_registration(admin: Principal, officer_id: Any) -> tuple[str, str]:
    """Start registering a key for an officer, in person, in the admin's browser (after step-up)."""
    admin.require(ADMIN)
    officer_id = inputs.record_id(officer_id)
    with transaction() as session:
        stepup.require_fresh(session, admin)
        officer = session.get(Officer, officer_id)
        if officer is None or officer.status != "active":
            raise refuse("officer.unknown", "人员不存在或已退出")
        _authorization_for_key(session, officer)
        existing = [k.credential_id for k in session.exec(
            select(SecurityKey).where(SecurityKey.officer_id == officer.id)).all()]
        options, state = webauthn.begin_registration(officer.user_handle, officer.staff_no, officer.name, existing,
                                                     attestation.conveyance(attestation.current_policy(session)))
        challenge_id = webauthn.store_challenge(session, "register", state, admin.officer_id, {"officer_id": officer.id})
    return challenge_id, options


@audit_refusals("key.register.finish")
def finish_key_registration(admin: Principal, challenge_id: Any, response: Any) -> SecurityKey:
    admin.require(ADMIN)
    challenge = webauthn.consume_challenge(challenge_id, "register", admin.officer_id)
    auth_data, registration = webauthn.complete_registration(challenge.state, response)
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        officer = session.get(Officer, challenge.context["officer_id"])
        authorization = _authorization_for_key(session, officer)
        return _store_key(session, officer, auth_data, registration, response, admin.officer_id, authorization,
                          proof)


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
               registered_by: int, authorization, step_up: dict) -> SecurityKey:
    credential = auth_data.credential_data
    bound_items = resolve_items(session, authorization) if authorization else []
    attestation.check(attestation.current_policy(session), registration.response.attestation_object,
                      registration.response.client_data.hash)
    if session.exec(select(SecurityKey).where(SecurityKey.credential_id == credential.credential_id)).first():
        raise refuse("key.duplicate", "该密钥已登记过")
    key = SecurityKey(
        officer_id=officer.id, credential_id=credential.credential_id, credential_data=bytes(credential),
        aaguid=str(credential.aaguid), attestation_format=registration.response.attestation_object.fmt,
        transports=_transports(raw_response),
        sign_count=auth_data.counter, registered_by=registered_by,
        attestation_object=bytes(registration.response.attestation_object),
        authorization_id=authorization.id if authorization else None,
        scope_items=bound_items, scope_digest=scope_digest(authorization, bound_items) if authorization else None)
    session.add(key)
    session.flush()
    certificate = certificates.issue(session, key, authorization) if authorization else None
    audit.record(session, "key.registered", f"key:{key.id}", registered_by, officer_id=officer.id,
                 certificate_serial=certificate.serial if certificate else None,
                 credential_id=websafe_encode(key.credential_id), aaguid=key.aaguid,
                 attestation_format=key.attestation_format, authorization_id=key.authorization_id,
                 scope_items=key.scope_items, scope_digest=key.scope_digest, **step_up)
    return key


@audit_refusals("key.revoke")
def revoke_key(admin: Principal, key_id: Any, reason: Any) -> SecurityKey:
    admin.require(ADMIN)
    key_id = inputs.record_id(key_id)
    reason = inputs.reason(reason, "停用密钥必须填写原因")
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        key = session.get(SecurityKey, key_id)
        if key is None:
            raise refuse("key.unknown", "密钥不存在")
        if key.status == "revoked":
            raise refuse("key.already_revoked", "该密钥已停用")
        revoke_key_in(session, admin.officer_id, key, reason, proof)
        return key


def revoke_key_in(session: Session, admin_id: int, key: SecurityKey, reason: str, proof: dict,
                  **details) -> list[str]:
    """Stop a key inside the caller's transaction (the caller checked the admin and the step-up):
    its certificates are revoked and a new CRL published. Returns the serials."""
    # The public key stays: signatures made before revoked_at remain verifiable.
    key.status, key.revoked_at, key.revoked_by, key.revoke_reason = "revoked", utcnow(), admin_id, reason
    session.add(key)
    serials = certificates.revoke(session, f"密钥停用：{reason}", key_id=key.id, at=key.revoked_at)
    audit.record(session, "key.revoked", f"key:{key.id}", admin_id, officer_id=key.officer_id,
                 reason=reason, revoked_certificates=serials, **details, **proof)
    return serials


@audit_refusals("key.clear_suspect")
def clear_suspect(admin: Principal, key_id: Any, reason: Any) -> SecurityKey:
    """After checking with the holder (e.g. the key was never out of their hands), an admin may
    let a suspect key work again; the stored counter stays, so a lower-counting clone still fails."""
    admin.require(ADMIN)
    key_id = inputs.record_id(key_id)
    reason = inputs.reason(reason, "解除暂停必须填写核查结论")
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        key = session.get(SecurityKey, key_id)
        if key is None or key.status != "suspect":
            raise refuse("key.not_suspect", "该密钥不处于暂停状态")
        key.status = "active"
        session.add(key)
        certificates.ensure(session, key)
        audit.record(session, "key.suspect_cleared", f"key:{key.id}", admin.officer_id, officer_id=key.officer_id,
                     reason=reason, **proof)
        return key


@audit_refusals("attestation.policy")
def set_attestation_policy(admin: Principal, allowed_aaguids: Any, pinned_roots: Any, reason: Any) -> None:
    """A new policy row (the old ones stay). Empty allow list = any key model."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "修改密钥型号策略必须填写原因")
    if not isinstance(allowed_aaguids, list) or not all(isinstance(a, str) for a in allowed_aaguids):
        raise refuse("input.invalid", "参数无效")
    if not isinstance(pinned_roots, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(p, str) for p in v)
            for k, v in pinned_roots.items()):
        raise refuse("input.invalid", "参数无效")
    aaguids = []
    for raw in allowed_aaguids:
        try:
            aaguids.append(str(uuid.UUID(raw.strip())))
        except ValueError:
            raise refuse("attestation.bad_aaguid", f"AAGUID 格式错误：{raw[:40]}")
    roots = {str(uuid.UUID(k)): v for k, v in pinned_roots.items() if k.strip()}
    for aaguid in aaguids:
        if not roots.get(aaguid):
            raise refuse("attestation.root_missing", f"型号 {aaguid} 缺少受信任根证书")
        for pem in roots[aaguid]:
            attestation.pem_to_der(pem)
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        session.add(AttestationPolicy(allowed_aaguids=sorted(set(aaguids)), pinned_roots=roots,
                                      created_by=admin.officer_id, reason=reason))
        audit.record(session, "attestation.policy_changed", "attestation_policy", admin.officer_id,
                     allowed_aaguids=sorted(set(aaguids)), reason=reason, **proof)
