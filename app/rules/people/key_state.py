"""Key state helpers shared by sign-in, step-up, signing and registration."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Optional

from sqlalchemy import update
from sqlmodel import Session, select

from app.db import transaction
from app.models import Officer, SecurityKey
from app.models.base import utcnow
from app.rules import audit
from app.rules.errors import refuse
from app.signing.webauthn import SignCountRegression, verify_assertion


def mark_suspect(key_id: int, stored: int, received: int) -> None:
    with transaction() as session:
        key = session.get(SecurityKey, key_id)
        if key is not None and key.status == "active":
            key.status, key.suspect_at = "suspect", utcnow()
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


def record_use(session: Session, key: SecurityKey, new_count: int) -> None:
    """Store the new sign count with a compare-and-set: a concurrent use of the same key loses."""
    if session.execute(update(SecurityKey).where(SecurityKey.id == key.id, SecurityKey.sign_count == key.sign_count)
                       .values(sign_count=new_count, last_used_at=utcnow())).rowcount != 1:
        raise refuse("key.concurrent_use", "密钥正被同时使用，请重试")


@contextmanager
def suspending_clones():
    """A sign-count regression refuses the assertion; once the refused work has rolled back, the
    key is suspended in a transaction of its own (notes/webauthn.md §6)."""
    try:
        yield
    except SignCountRegression as exc:
        mark_suspect(exc.key_id, exc.stored, exc.received)
        raise


def use_own_key(session: Session, officer_id: int, state: dict, assertion, inactive_code: str) -> SecurityKey:
    """The officer's active key that made this assertion, verified, its new count stored."""
    key = session.exec(select(SecurityKey).where(SecurityKey.credential_id == assertion.raw_id,
                                                 SecurityKey.officer_id == officer_id)).first()
    if key is None or key.status != "active":
        raise refuse(inactive_code, "密钥未登记、已停用或已暂停")
    record_use(session, key, verify_assertion(state, key, assertion))
    return key
