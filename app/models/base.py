from datetime import datetime, timezone

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field


def utcnow() -> datetime:
    """Aware UTC, as SQLModel's UTCDateTime columns store and return it."""
    return datetime.now(timezone.utc)


def json_field(**kw):
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False), **kw)


def bytes_field(unique: bool = False):
    return Field(default=b"", sa_column=Column(LargeBinary, nullable=False, unique=unique))
