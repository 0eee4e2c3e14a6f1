"""WebAuthn ceremonies with python-fido2: exact origin, required user verification, and
single-use, short-lived challenges kept server-side (notes/webauthn.md §3)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any, Optional

from fido2.server import Fido2Server
from fido2.webauthn import (AttestedCredentialData, AuthenticationResponse,
                            PublicKeyCredentialDescriptor, PublicKeyCredentialType, RegistrationResponse,
                            UserVerificationRequirement)
from sqlalchemy import delete, update
from sqlmodel import Session

from app.config import settings
from app.db import transaction
from app.models import SecurityKey, WebAuthnChallenge
from app.models.base import utcnow
from app.rules import ratelimit
from app.rules.errors import Refused, refuse

# python-fido2's own origin check accepts any port on localhost and any subdomain; ours is exact.
FIDO_ERRORS = {
    "Invalid signature.": ("webauthn.bad_signature", "密钥签名无效"),
    "User Present flag not set.": ("webauthn.no_user_presence", "未检测到用户触碰密钥（UP）"),
    "User verification required, but user verified flag not set.":
        ("webauthn.no_user_verification", "密钥未完成用户验证（需输入 PIN）"),
    "User verification required, but User Verified flag not set.":
        ("webauthn.no_user_verification", "密钥未完成用户验证（需输入 PIN）"),
    "Invalid origin in CollectedClientData.": ("webauthn.bad_origin", "请求来源与系统地址不符"),
    "Wrong challenge in response.": ("webauthn.bad_challenge", "挑战值不符"),
    "Wrong RP ID hash in response.": ("webauthn.bad_rp_id", "依赖方标识不符"),
    "Incorrect type in CollectedClientData.": ("webauthn.bad_type", "客户端数据类型错误"),
    "Unknown credential ID.": ("key.unknown", "密钥未登记或已停用"),
}


def fido_server(attestation: str = "none") -> Fido2Server:
    # Attestation statements are checked by app.signing.attestation, not by fido2 (which would
    # silently ignore them without a verifier).
    server = Fido2Server({"id": settings.rp_id, "name": settings.rp_name}, attestation=attestation,
                         verify_origin=lambda origin: origin == settings.origin)
    server.timeout = 60000  # without one, get() waits forever when no key is plugged in
    return server


def options_json(options: Any) -> str:
    """The inner publicKey object, as the browser's parse*OptionsFromJSON expects it."""
    return json.dumps(dict(options)["publicKey"])


REAP_AFTER = timedelta(hours=1)
REAP_EVERY_SECONDS = 300


def reap_expired_challenges(session: Session) -> int:
    """Challenges are ceremony state, not records (a decision keeps its own challenge and payload):
    those expired for an hour are removed, so unanswered sign-in starts do not pile up."""
    return session.execute(delete(WebAuthnChallenge)
                           .where(WebAuthnChallenge.expires_at < utcnow() - REAP_AFTER)).rowcount


def store_challenge(session: Session, purpose: str, state: dict, officer_id: Optional[int] = None,
                    context: Optional[dict] = None) -> str:
    if ratelimit.hit("challenge.reap", "all", REAP_EVERY_SECONDS) == 1:
        reap_expired_challenges(session)
    challenge_id = secrets.token_hex(16)
    uv = state.get("user_verification")
    session.add(WebAuthnChallenge(
        id=challenge_id, purpose=purpose, officer_id=officer_id,
        state={"challenge": state["challenge"], "user_verification": getattr(uv, "value", uv)},
        context=context or {}, expires_at=utcnow() + timedelta(seconds=settings.challenge_ttl_seconds)))
    return challenge_id


def consume_challenge(challenge_id: Any, purpose: str, officer_id: Optional[int]) -> WebAuthnChallenge:
    """Mark the challenge used in its own committed transaction: whatever happens next, it
    cannot be answered twice."""
    if not isinstance(challenge_id, str) or len(challenge_id) != 32:
        raise refuse("challenge.malformed", "签署请求无效，请重新操作")
    now = utcnow()
    with transaction() as session:
        used = session.execute(
            update(WebAuthnChallenge)
            .where(WebAuthnChallenge.id == challenge_id, WebAuthnChallenge.purpose == purpose,
                   WebAuthnChallenge.used_at.is_(None), WebAuthnChallenge.expires_at > now,
                   WebAuthnChallenge.officer_id.is_(None) if officer_id is None
                   else WebAuthnChallenge.officer_id == officer_id)
            .values(used_at=now)).rowcount
        row = session.get(WebAuthnChallenge, challenge_id)
    if used == 1:
        return row
    if row is None or row.purpose != purpose or (officer_id is not None and row.officer_id != officer_id):
        raise refuse("challenge.unknown", "签署请求不存在或不属于当前用户")
    if row.used_at is not None:
        raise refuse("challenge.reused", "该请求已使用过，不能重复提交")
    raise refuse("challenge.expired", "请求已超时，请重新操作")


def _parse(kind, response: Any):
    """Browser JSON into fido2 objects; anything malformed is one clear refusal."""
    try:
        if not isinstance(response, dict):
            raise TypeError(type(response).__name__)
        return kind.from_dict(response)
    except Exception:
        raise refuse("webauthn.malformed", "密钥应答格式错误")


def parse_assertion(response: Any) -> AuthenticationResponse:
    return _parse(AuthenticationResponse, response)


def parse_registration(response: Any) -> RegistrationResponse:
    return _parse(RegistrationResponse, response)


def _fido_refusal(exc: Exception) -> Refused:
    code, message = FIDO_ERRORS.get(str(exc), ("webauthn.invalid", f"密钥应答无效（{exc}）"))
    return refuse(code, message)


class SignCountRegression(Refused):
    """A counter that did not increase: the key may have been cloned."""

    def __init__(self, key_id: int, stored: int, received: int):
        super().__init__("key.sign_count_regression",
                         f"密钥计数器异常（已记录 {stored}，收到 {received}），疑似被复制，密钥已暂停使用")
        self.key_id, self.stored, self.received = key_id, stored, received


def verify_assertion(state: dict, key: SecurityKey, assertion: AuthenticationResponse) -> int:
    """Check the assertion against one stored key; return the new sign count."""
    if assertion.raw_id != key.credential_id:
        raise refuse("key.mismatch", "所用密钥与请求不符")
    try:
        fido_server().authenticate_complete(
            {"challenge": state["challenge"], "user_verification": UserVerificationRequirement.REQUIRED},
            [AttestedCredentialData(key.credential_data)], assertion)
    except ValueError as exc:
        raise _fido_refusal(exc)
    received = assertion.response.authenticator_data.counter
    if (received or key.sign_count) and received <= key.sign_count:
        raise SignCountRegression(key.id, key.sign_count, received)
    return received


def _descriptors(credential_ids: list[bytes]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(type=PublicKeyCredentialType.PUBLIC_KEY, id=c) for c in credential_ids]


def begin_registration(user_handle: str, name: str, display_name: str,
                       existing: list[bytes], attestation: str = "none") -> tuple[str, dict]:
    options, state = fido_server(attestation).register_begin(
        {"id": bytes.fromhex(user_handle), "name": name, "displayName": display_name},
        credentials=_descriptors(existing),
        user_verification="required", resident_key_requirement="discouraged")
    return options_json(options), state


def complete_registration(state: dict, response: Any):
    registration = parse_registration(response)
    try:
        auth_data = fido_server().register_complete(
            {"challenge": state["challenge"], "user_verification": UserVerificationRequirement.REQUIRED},
            registration)
    except ValueError as exc:
        raise _fido_refusal(exc)
    return auth_data, registration


def begin_assertion(credential_ids: list[bytes], challenge: Optional[bytes] = None) -> tuple[str, dict]:
    options, state = fido_server().authenticate_begin(
        _descriptors(credential_ids),
        user_verification="required", challenge=challenge)
    return options_json(options), state
