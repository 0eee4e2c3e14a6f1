"""The audit log: append-only (database triggers), each row chained to the previous by hash."""

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)  # 1, 2, 3 … assigned under the chain lock
    at: datetime = Field(default_factory=utcnow)
    actor_id: Optional[int] = Field(default=None, foreign_key="officer.id")
    action: str = Field(max_length=64, index=True)
    subject: str = Field(max_length=200)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(unique=True, max_length=64)
