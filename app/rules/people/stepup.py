"""Step-up: admin power (keys, authorizations, attestation policy) needs a fresh assertion of
the acting admin's own key, at most a few minutes old; the audit event of the action records it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from app.config import settings
from app.db import transaction
from app.models import LoginSession
from app.models.base import utcnow
from app.rules import audit
from app.rules.errors import refuse
from app.rules.people.key_state import active_keys, suspending_clones, use_own_key
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.signing import webauthn


def begin(principal: Principal) -> tuple[str, str]:
    with transaction() as session:
        keys = active_keys(session, principal.officer_id)
        if not keys:
            raise refuse("stepup.no_key", "您没有可用的安全密钥")
        options, state = webauthn.begin_assertion([k.credential_id for k in keys])
        challenge_id = webauthn.store_challenge(session, "stepup", state, principal.officer_id,
                                                {"session_id": principal.session_id})
    return challenge_id, options


@audit_refusals("stepup")
def finish(principal: Principal, challenge_id: Any, response: Any) -> None:
    assertion = webauthn.parse_assertion(response)
    challenge = webauthn.consume_challenge(challenge_id, "stepup", principal.officer_id)
    if challenge.context.get("session_id") != principal.session_id:
        raise refuse("stepup.other_session", "确认请求不属于当前登录")
    with suspending_clones(), transaction() as session:
        key = use_own_key(session, principal.officer_id, challenge.state, assertion, "key.inactive")
        login = session.get(LoginSession, principal.session_id)
        login.stepped_up_at, login.stepped_up_key_id = utcnow(), key.id
        session.add(login)
        audit.record(session, "stepup.confirmed", f"officer:{principal.officer_id}", principal.officer_id,
                     key_id=key.id)


def require_fresh(session: Session, principal: Principal) -> dict:
    """Details for the action's audit event, or a refusal asking for the key again."""
    login = session.get(LoginSession, principal.session_id)
    fresh = timedelta(minutes=settings.step_up_minutes)
    if login is None or login.stepped_up_at is None or utcnow() - login.stepped_up_at > fresh:
        raise refuse("stepup.required", "此操作需先用您本人的安全密钥再次确认身份")
    return {"step_up_at": login.stepped_up_at.isoformat(), "step_up_key_id": login.stepped_up_key_id}
