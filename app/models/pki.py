"""The bureau's certificates for approvers' keys, its revocation lists, and signed checkpoints of
the audit log. Rows are only added; a revocation is a date set on the certificate row once."""

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from app.models.base import bytes_field, json_field, utcnow


class KeyCertificate(SQLModel, table=True):
    """An X.509 certificate for one WebAuthn key under one authorization and bound item set."""

    __tablename__ = "key_certificate"

    id: Optional[int] = Field(default=None, primary_key=True)
    key_id: int = Field(foreign_key="security_key.id", index=True)
    authorization_id: int = Field(foreign_key="authorization.id")
    serial: str = Field(unique=True, max_length=64)  # lower-case hex
    der: bytes = bytes_field()
    scope_items: list = json_field()
    not_before: datetime
    not_after: datetime
    issued_at: datetime = Field(default_factory=utcnow)
    revoked_at: Optional[datetime] = None
    revoke_reason: Optional[str] = None


class RevocationList(SQLModel, table=True):
    """Each published CRL (its number is the row id), newest last."""

    __tablename__ = "revocation_list"

    id: Optional[int] = Field(default=None, primary_key=True)
    der: bytes = bytes_field()
    issued_at: datetime = Field(default_factory=utcnow)


class AuditCheckpoint(SQLModel, table=True):
    """The bureau's signature over the audit log's head (size, hash of event `size`, time)."""

    __tablename__ = "audit_checkpoint"

    id: Optional[int] = Field(default=None, primary_key=True)
    size: int = Field(index=True)
    head: str = Field(max_length=64)
    at: str = Field(max_length=40)  # ISO 8601, exactly the signed text
    signature: bytes = bytes_field()
    certificate: bytes = bytes_field()  # DER of the signing certificate
    created_at: datetime = Field(default_factory=utcnow)
