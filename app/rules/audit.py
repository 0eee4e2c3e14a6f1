"""Append to the hash-chained audit log, inside the caller's transaction (fail-closed)."""

from __future__ import annotations

from typing import Any, Iterable, Optional

from sqlalchemy import text
from sqlmodel import Session, select

from app.models import AuditEvent
from app.models.base import utcnow
from app.rules.canonical import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64
CHAIN_LOCK = 7310001  # PostgreSQL advisory lock serialising writers on the chain head


def event_hash(prev_hash: str, seq: int, at: str, actor_id: Optional[int], action: str,
               subject: str, details: dict) -> str:
    body = {"seq": seq, "at": at, "actor_id": actor_id, "action": action,
            "subject": subject, "details": details}
    return sha256_hex(bytes.fromhex(prev_hash) + canonical_json(body))


def record(session: Session, action: str, subject: str, actor_id: Optional[int] = None,
           **details: Any) -> AuditEvent:
    """Add one event chained to the last one. Commits with the caller's change or not at all."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise writers on the chain head; SQLite's BEGIN IMMEDIATE already does.
        session.exec(text(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
    last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq = (last.seq + 1) if last else 1
    prev = last.hash if last else GENESIS_HASH
    at = utcnow()
    details = {k: v for k, v in details.items() if v is not None}
    event = AuditEvent(seq=seq, at=at, actor_id=actor_id, action=action, subject=subject,
                       details=details, prev_hash=prev,
                       hash=event_hash(prev, seq, at.isoformat(), actor_id, action, subject, details))
    session.add(event)
    session.flush()
    from app.rules.supervision import checkpoints

    checkpoints.maybe_checkpoint(session, event)
    return event


def verify_chain(session: Session) -> tuple[bool, Optional[int]]:
    """Recompute every link of the stored log; returns (ok, first bad seq)."""
    return verify_events(session.exec(select(AuditEvent).order_by(AuditEvent.seq)))


def verify_events(events: Iterable[AuditEvent]) -> tuple[bool, Optional[int]]:
    prev = GENESIS_HASH
    expected_seq = 1
    for ev in events:
        h = event_hash(prev, ev.seq, ev.at.isoformat(), ev.actor_id, ev.action, ev.subject, ev.details)
        if ev.seq != expected_seq or ev.prev_hash != prev or ev.hash != h:
            return False, ev.seq
        prev, expected_seq = ev.hash, expected_seq + 1
    return True, None
