"""Key state helpers shared by sign-in, step-up, signing and registration."""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import update
from sqlmodel import Session, select

from app.db import transaction
from app.models import Officer, SecurityKey
from app.models.base import utcnow
from app.rules import audit
from app.rules.errors import refuse


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
