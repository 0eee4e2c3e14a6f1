"""Cases (办件), document numbers and signed decisions."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import bytes_field, json_field, utcnow


class Case(SQLModel, table=True):
    __tablename__ = "case_file"  # "case" is an SQL keyword

    id: Optional[int] = Field(default=None, primary_key=True)
    case_no: str = Field(unique=True, max_length=32)
    item_id: int = Field(foreign_key="item.id")
    item_revision: int
    approver_id: int = Field(foreign_key="officer.id", index=True)
    applicant_name: str = Field(max_length=200)
    applicant_id_type: str = Field(max_length=32)
    applicant_id_encrypted: bytes = bytes_field()  # personal data, encrypted at rest
    applicant_id_masked: str = Field(max_length=64)
    applicant_phone_encrypted: bytes = bytes_field()  # contact for return visits, encrypted like the ID
    materials_received: list = json_field()
    conditions_met: list = json_field()
    no_conflict_declared: bool = False  # 回避 declaration before acceptance
    # received (收件, 不予受理 being signed) | awaiting_correction (待补正) | accepted (已受理) |
    # decided (已办结) | not_accepted (不予受理) | withdrawn (已撤回) | transferred (已转出)
    state: str = Field(default="received", max_length=24, index=True)
    outcome: Optional[str] = Field(default=None, max_length=16)  # approved | refused | not_accepted
    created_at: datetime = Field(default_factory=utcnow)  # 收件: the application was received
    accepted_at: Optional[datetime] = None
    deadline: Optional[date] = None  # after any extension; the history is in case_event
    deadline_provisional: bool = False
    decided_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None  # withdrawn, transferred out
    # 补正: [{"material", "need"}] of the one-time correction notice; 不予受理/撤回/转出: why
    correction: list = json_field()
    closing_category: Optional[str] = Field(default=None, max_length=32)
    closing_reason: Optional[str] = None
    late_reason: Optional[str] = None  # decided after the deadline: why (flags it for supervision)
    routed_at: Optional[datetime] = None  # a transferred-out case handed to ordinary procedure by admins


class CaseEvent(SQLModel, table=True):
    """The case's history, append-only: every step with who and when (回避 handovers, extensions,
    routing included), so a case's responsibility trail never depends on its current fields."""

    __tablename__ = "case_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: str = Field(max_length=32)
    officer_id: Optional[int] = Field(default=None, foreign_key="officer.id")
    at: datetime = Field(default_factory=utcnow)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class CaseNotice(SQLModel, table=True):
    """A printed notice given to the applicant (受理通知书, 补正材料通知书, 撤回, 转出): its content and
    the PDF exactly as handed over, kept in the database with the case."""

    __tablename__ = "case_notice"

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: str = Field(max_length=32)  # acceptance | correction | withdrawal | transfer
    issued_at: datetime = Field(default_factory=utcnow)
    officer_id: int = Field(foreign_key="officer.id")
    content: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pdf: bytes = bytes_field()
    pdf_sha256: str = Field(max_length=64)


class Publication(SQLModel, table=True):
    """双公示: an approval published (行政许可法 第四十条, within 7 working days), one row per
    decision, written when the export is confirmed as published."""

    id: Optional[int] = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", unique=True)
    batch: str = Field(max_length=32, index=True)
    published_at: datetime = Field(default_factory=utcnow)
    published_by: int = Field(foreign_key="officer.id")
    due_on: date
    export_sha256: str = Field(max_length=64)  # the exported file the batch was published from


class DocumentSequence(SQLModel, table=True):
    """Last 文号 sequence number per pattern and year; bumped with a compare-and-set."""

    __tablename__ = "document_sequence"

    key: str = Field(primary_key=True, max_length=200)
    last: int = 0


class DocumentNumber(SQLModel, table=True):
    """A 文号 reserved for one case and one document type when the document is prepared: every number
    belongs to a case; one that goes unused is voided with a reason, never given to another case."""

    __tablename__ = "document_number"
    __table_args__ = (UniqueConstraint("sequence_key", "seq"),
                      UniqueConstraint("case_id", "doc_type", name="uq_document_number_case_type"))

    id: Optional[int] = Field(default=None, primary_key=True)
    sequence_key: str = Field(max_length=200)
    seq: int
    number: str = Field(unique=True, max_length=100)
    case_id: int = Field(foreign_key="case_file.id")
    doc_type: str = Field(default="approved", max_length=32)  # approved | refused | …
    reserved_at: datetime = Field(default_factory=utcnow)
    voided_at: Optional[datetime] = None
    void_reason: Optional[str] = None


class Decision(SQLModel, table=True):
    """决定: the signed evidence of one decision. Written once, in one transaction."""

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", unique=True)
    outcome: str = Field(max_length=16)
    document_number: str = Field(unique=True, max_length=100)
    verification_code: str = Field(unique=True, max_length=32)
    decided_at: datetime
    approver_id: int = Field(foreign_key="officer.id", index=True)
    key_id: int = Field(foreign_key="security_key.id")
    authorization_id: Optional[int] = Field(default=None, foreign_key="authorization.id")  # bound at signing
    scope_digest: Optional[str] = Field(default=None, max_length=64)
    scope_items: list = json_field()  # the key's bound item codes at signing
    certificate_id: Optional[int] = Field(default=None, foreign_key="key_certificate.id")  # v2 evidence
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, exactly the hashed bytes
    payload_sha256: str = Field(max_length=64)
    challenge: bytes = bytes_field()
    credential_id: bytes = bytes_field()
    authenticator_data: bytes = bytes_field()
    client_data_json: bytes = bytes_field()
    signature: bytes = bytes_field()
    sign_count: int
    document_sha256: str = Field(max_length=64)  # the rendered decision before evidence
    pdf_sha256: str = Field(max_length=64)  # the delivered PDF, evidence embedded
    pdf_size: int
    created_at: datetime = Field(default_factory=utcnow)
