"""文号 per GB/T 9704-2012 7.2.5: 张行审许字〔2026〕1号 — sequential per pattern and year,
no gaps, no duplicates under concurrency. A number is reserved for one case when its decision
is prepared and reused if signing is retried, so every number belongs to exactly one case."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.models import DocumentNumber, DocumentSequence


def format_number(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)


def reserve(session: Session, pattern: str, year: int, case_id: int) -> str:
    existing = session.exec(select(DocumentNumber).where(DocumentNumber.case_id == case_id)).first()
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
    session.add(DocumentNumber(sequence_key=key, seq=last + 1, number=number, case_id=case_id))
    session.flush()
    return number
