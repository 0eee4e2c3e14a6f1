"""文号 per GB/T 9704-2012 7.2.5: 张行审许字〔2026〕1号 — one series per document type (its pattern)
and year, no gaps, no duplicates under concurrency. A number is reserved for one case when its
document is prepared and reused if signing is retried, so every number belongs to exactly one case;
one the case does not use is voided with a reason when its decision is signed."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.models import DocumentNumber, DocumentSequence
from app.models.base import utcnow
from app.rules import audit


def format_number(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def reserve(session: Session, pattern: str, year: int, case_id: int, doc_type: str = "approved") -> str:
    """The case's number for this document type: the one reserved before (a retry, or the approver
    going back to this outcome) or the next of the type's series."""
    existing = session.exec(select(DocumentNumber).where(DocumentNumber.case_id == case_id,
                                                         DocumentNumber.doc_type == doc_type)).first()
    if existing:
        return existing.number
    key = f"{pattern}|{year}"
    if session.get(DocumentSequence, key) is None:
        # Two first reservations of a year may race: the loser's insert does nothing.
        insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
        session.execute(insert(DocumentSequence).values(key=key, last=0).on_conflict_do_nothing())
    while True:  # compare-and-set: a concurrent writer makes rowcount 0, so read again
        last = session.exec(select(DocumentSequence.last).where(DocumentSequence.key == key)).one()
        bumped = session.execute(update(DocumentSequence)
                                 .where(DocumentSequence.key == key, DocumentSequence.last == last)
                                 .values(last=last + 1))
        if bumped.rowcount == 1:
            break
    number = format_number(pattern, year, last + 1)
    session.add(DocumentNumber(sequence_key=key, seq=last + 1, number=number, case_id=case_id, doc_type=doc_type))
    session.flush()
    return number


def void_unused(session: Session, case_id: int, used: str, reason: str) -> list[str]:
    """When a case's decision is signed, the numbers it reserved for other outcomes are voided:
    kept, marked with the reason (audited), never given to another case. A case that ends without a
    decision (撤回, 转出) voids every number it reserved (`used` = "")."""
    voided = []
    for row in session.exec(select(DocumentNumber).where(DocumentNumber.case_id == case_id,
                                                         DocumentNumber.number != used,
                                                         DocumentNumber.voided_at.is_(None))):
        row.voided_at, row.void_reason = utcnow(), reason
        session.add(row)
        audit.record(session, "document_number.voided", f"case:{case_id}", None, number=row.number, reason=reason)
        voided.append(row.number)
    return voided
