"""Sign-in with a security key only, and the server-side session every event handler checks.

The browser holds only an opaque session id in a backend var; the session row says which
officer and which key opened it, and ends on sign-out, idle timeout, lifetime, or when the key,
the authorization behind it, or the officer's account stops."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any, Optional

from fido2.utils import websafe_encode
from sqlalchemy import update
from sqlmodel import func, select

from app.config import settings
from app.db import transaction
from app.models import Authorization, LoginSession, Officer, SecurityKey, SignInAttempt, WebAuthnChallenge
from app.models.base import utcnow
from app.rules import audit, ratelimit
from app.rules.calendar import clock
from app.rules.errors import Refused, refuse
from app.rules.people.key_state import active_keys, officer_by_staff_no, suspending_clones, use_own_key
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.scope import authorization_state
from app.signing import webauthn

SESSION_COOKIE_PREFIX = "zd_session_"
BIND_TICKET_SECONDS = 120


def _check_rate(client: str, staff_no: str) -> None:
    """Too many failures from this client, or from this client against this officer, in the window:
    wait. Failures are never counted per officer alone: whoever lacks the key could then lock the
    officer out everywhere (the key itself cannot be guessed, so a global lock protects nothing)."""
    window = settings.signin_window_minutes
    if not ratelimit.allow("signin.begin", client, settings.signin_max_begins_per_client, window * 60):
        raise refuse("signin.rate_limited", f"登录尝试过于频繁，请 {window} 分钟后再试")
    since = utcnow() - timedelta(minutes=window)
    failed = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.ok == False,  # noqa: E712
                                                                   SignInAttempt.at > since,
                                                                   SignInAttempt.client == client)
    with transaction() as session:
        by_client = session.exec(failed).one()
        by_pair = session.exec(failed.where(SignInAttempt.staff_no == staff_no)).one()
    if by_client >= settings.signin_max_failures_per_client or by_pair >= settings.signin_max_failures_per_officer:
        raise refuse("signin.rate_limited", f"登录失败次数过多，请 {window} 分钟后再试")


def _record_attempt(client: str, staff_no: str, ok: bool, reason: str | None = None) -> None:
    with transaction() as session:
        session.add(SignInAttempt(client=client[:100], staff_no=staff_no[:64], ok=ok, reason=reason))


def _attempt(client: str, staff_no: str, fn):
    """Run one step of a sign-in, recording a failure against the client (and the officer from it)."""
    try:
        return fn()
    except Refused as exc:
        if exc.code != "signin.rate_limited":
            _record_attempt(client, staff_no, False, exc.code)
        raise


@audit_refusals("signin.begin")
def begin_sign_in(staff_no: Any, client: str = "local") -> tuple[str, str]:
    staff_no = staff_no.strip()[:64] if isinstance(staff_no, str) else ""
    _check_rate(client, staff_no)
    return _attempt(client, staff_no, lambda: _begin_sign_in(staff_no, client))


def _begin_sign_in(staff_no: str, client: str) -> tuple[str, str]:
    with transaction() as session:
        officer = officer_by_staff_no(session, staff_no)
        keys = active_keys(session, officer.id) if officer is not None and officer.status == "active" else []
        if not keys:
            # One answer for an unknown staff number, a stopped account and no key: sign-in must
            # not tell which staff numbers exist.
            raise refuse("signin.unavailable", "该工号无法使用安全密钥登录，请核对工号或联系工作组")
        options, state = webauthn.begin_assertion([k.credential_id for k in keys])
        challenge_id = webauthn.store_challenge(session, "signin", state, officer.id,
                                                {"client": client, "staff_no": staff_no})
    return challenge_id, options


@audit_refusals("signin.finish")
def finish_sign_in(challenge_id: Any, response: Any) -> Principal:
    with transaction() as session:
        pending = session.get(WebAuthnChallenge, challenge_id) if isinstance(challenge_id, str) else None
        officer_id = pending.officer_id if pending else None
        client, staff_no = (pending.context.get("client", ""), pending.context.get("staff_no", "")) if pending else ("", "")
    principal = _attempt(client, staff_no, lambda: _finish_sign_in(challenge_id, response, officer_id))
    _record_attempt(client, staff_no, True)
    return principal


def _finish_sign_in(challenge_id: Any, response: Any, officer_id: int | None) -> Principal:
    assertion = webauthn.parse_assertion(response)
    challenge = webauthn.consume_challenge(challenge_id, "signin", officer_id)
    with suspending_clones(), transaction() as session:
        key = use_own_key(session, challenge.officer_id, challenge.state, assertion, "signin.key_inactive")
        officer = session.get(Officer, key.officer_id)
        login = LoginSession(id=secrets.token_urlsafe(32), officer_id=officer.id, key_id=key.id)
        session.add(login)
        audit.record(session, "session.signed_in", f"officer:{officer.id}", officer.id,
                     key_id=key.id, credential_id=websafe_encode(key.credential_id))
        return Principal(login.id, officer.id, key.id, officer.name, officer.staff_no, tuple(officer.roles))


def cookie_name(session_id: str) -> str:
    """Each session has its own cookie, so two tabs signed in as two officers do not collide."""
    return SESSION_COOKIE_PREFIX + hashlib.sha256(session_id.encode()).hexdigest()[:16]


def issue_bind_ticket(session_id: str) -> str:
    """A one-time ticket, sent over the tab's socket, that the browser trades for the session's
    HttpOnly cookie (app/http.py). Valid once, for BIND_TICKET_SECONDS."""
    ticket = secrets.token_urlsafe(32)
    with transaction() as session:
        login = session.get(LoginSession, session_id)
        if login is None or login.bound_at is not None or login.ended_at is not None:
            raise refuse("session.bind_refused", "登录凭据无法发放，请重新登录")
        login.bind_ticket_sha256 = _sha256(ticket)
        session.add(login)
    return ticket


def bind(ticket: Any) -> tuple[str, str]:
    """Trade a bind ticket for (cookie name, session secret); the secret's hash is stored."""
    if not isinstance(ticket, str) or not 20 <= len(ticket) <= 100:
        raise refuse("session.bind_refused", "登录凭据无法发放，请重新登录")
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction() as session:
        login = session.exec(select(LoginSession).where(LoginSession.bind_ticket_sha256 == _sha256(ticket))).first()
        if (login is None or login.bound_at is not None or login.ended_at is not None
                or now - login.created_at > timedelta(seconds=BIND_TICKET_SECONDS)):
            raise refuse("session.bind_refused", "登录凭据无法发放，请重新登录")
        claimed = session.execute(update(LoginSession).where(LoginSession.id == login.id,
                                                             LoginSession.bound_at.is_(None))
                                  .values(bound_at=now, bind_ticket_sha256=None,
                                          secret_sha256=_sha256(secret))).rowcount
        if claimed != 1:
            raise refuse("session.bind_refused", "登录凭据无法发放，请重新登录")
        return cookie_name(login.id), secret


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _cookie_secret(cookie_header: str, session_id: str) -> str:
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return ""
    morsel = jar.get(cookie_name(session_id))
    return morsel.value if morsel else ""


def current(session_id: Optional[str], role: Optional[str] = None, *, cookie_header: str) -> Principal:
    """The principal behind a session id and the browser's session cookie, or a refusal. Touches
    last_seen_at. The tab's session id alone is not enough (it can leak with the socket URL)."""
    if not session_id or not isinstance(session_id, str):
        raise refuse("session.none", "请先使用安全密钥登录")
    secret = _cookie_secret(cookie_header, session_id)
    now = utcnow()
    with transaction() as session:
        login = session.get(LoginSession, session_id)
        if login is None or login.ended_at is not None:
            raise refuse("session.ended", "登录已结束，请重新登录")
        if not login.secret_sha256 or not secrets.compare_digest(login.secret_sha256, _sha256(secret)):
            raise refuse("session.unbound", "本浏览器没有该登录的凭据，请重新登录")
        reason = None
        if now - login.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
            reason = ("session.idle", "长时间未操作，已自动退出，请重新登录")
        elif now - login.created_at > timedelta(hours=settings.session_max_hours):
            reason = ("session.lifetime", "登录时间已达上限，请重新登录")
        officer = session.get(Officer, login.officer_id)
        key = session.get(SecurityKey, login.key_id)
        if reason is None and (officer.status != "active"):
            reason = ("session.officer_inactive", "账号已停用")
        if reason is None and key.status != "active":
            reason = ("session.key_inactive", "登录所用的密钥已停用，请重新登录")
        if reason is None and key.authorization_id is not None:
            if authorization_state(session.get(Authorization, key.authorization_id), clock.today()) != "active":
                reason = ("session.authorization_inactive", "登录所用密钥绑定的授权已失效，请联系工作组")
        if reason:
            login.ended_at, login.end_reason = now, reason[0]
            session.add(login)
        else:
            login.last_seen_at = now
            session.add(login)
    if reason:
        raise refuse(*reason)
    principal = Principal(login.id, officer.id, key.id, officer.name, officer.staff_no, tuple(officer.roles))
    return principal.require(role) if role else principal


def sign_out(session_id: Optional[str]) -> None:
    if not session_id:
        return
    with transaction() as session:
        login = session.get(LoginSession, session_id)
        if login is not None and login.ended_at is None:
            login.ended_at, login.end_reason = utcnow(), "signed_out"
            session.add(login)
            audit.record(session, "session.signed_out", f"officer:{login.officer_id}", login.officer_id)


__all__ = ["Principal", "Refused", "begin_sign_in", "current", "finish_sign_in", "sign_out"]
