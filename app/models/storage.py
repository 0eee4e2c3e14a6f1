"""Stored files (decision PDFs, signing drafts) in the database, for APP_FILE_STORE=database: every
worker on every host reads what any other wrote, and a decision's PDF commits with its row."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"

    key: str = Field(primary_key=True, max_length=200)  # "pdfs/<sha256>.pdf", "drafts/…", "orphans/…"
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
