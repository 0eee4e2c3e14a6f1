"""Supervision after the fact (regulation 七): quarterly spot checks, return visits, annual
assessments. Every finding, rectification and closure is recorded; nothing is deleted."""

from datetime import date, datetime
from typing import Optional

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import json_field, utcnow


class SpotCheck(SQLModel, table=True):
    """One quarter's draw (七(二)): the population is fixed and committed (its digest) before the
    seed is known; the seed is entered at a recorded ceremony; anyone can re-run the draw."""

    __tablename__ = "spot_check"

    id: Optional[int] = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=8, index=True)  # 2026Q4
    rate_percent: int = 20
    population: list = json_field()  # ordered [{"case_id", "case_no", "approver_id"}]
    population_digest: str = Field(max_length=64)
    committed_at: datetime = Field(default_factory=utcnow)
    committed_by: int = Field(foreign_key="officer.id")
    seed: Optional[str] = Field(default=None, max_length=200)
    seed_note: Optional[str] = None  # the ceremony: who read the dice, who witnessed
    seeded_at: Optional[datetime] = None
    seeded_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    sample: list = json_field()  # case ids drawn, in draw order
    state: str = Field(default="committed", max_length=16)  # committed | drawn | superseded
    redraw_of: Optional[int] = Field(default=None, foreign_key="spot_check.id")
    redraw_reason: Optional[str] = None


class SpotCheckReview(SQLModel, table=True):
    """A drawn case reviewed against the checklist, and its rectification to closure."""

    __tablename__ = "spot_check_review"
    __table_args__ = (UniqueConstraint("spot_check_id", "case_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    spot_check_id: int = Field(foreign_key="spot_check.id", index=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    reviewer_id: int = Field(foreign_key="officer.id")
    reviewed_at: datetime = Field(default_factory=utcnow)
    checklist: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    result: str = Field(max_length=8)  # pass (合格) | flaw (瑕疵) | error (错误)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    rectification_request: Optional[str] = None
    rectification_due: Optional[date] = None
    closed_at: Optional[datetime] = None
    closed_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    closing_evidence: Optional[str] = None


class ReturnVisit(SQLModel, table=True):
    """回访 and 好差评 (七(一)): a decided case drawn for a visit, the applicant's ratings, and for a
    bad rating the verification and rectification record, closed within 15 working days."""

    __tablename__ = "return_visit"

    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", unique=True)
    drawn_at: datetime = Field(default_factory=utcnow)
    drawn_by: int = Field(foreign_key="officer.id")
    visited_at: Optional[datetime] = None
    visited_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    channel: Optional[str] = Field(default=None, max_length=16)  # phone | sms | on_site
    ratings: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # aspect -> 1..5
    comments: str = Field(default="", sa_column=Column(Text, nullable=False))
    rectification_due: Optional[date] = None  # a bad rating: 15 working days
    verification: Optional[str] = None
    closed_at: Optional[datetime] = None
    closed_by: Optional[int] = Field(default=None, foreign_key="officer.id")
    closing_note: Optional[str] = None


class Assessment(SQLModel, table=True):
    """年度考核 (七(三)) of one approver for one year: the computed figures as they stood, the level,
    the reasons; 不合格 proposes disqualification, which an admin confirms with step-up."""

    __table_args__ = (UniqueConstraint("officer_id", "year"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    year: int
    figures: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    level: str = Field(max_length=8)  # 优秀 合格 基本合格 不合格
    reasons: str = Field(default="", sa_column=Column(Text, nullable=False))
    assessed_by: int = Field(foreign_key="officer.id")
    assessed_at: datetime = Field(default_factory=utcnow)
    proposes_disqualification: bool = False
    disqualified_at: Optional[datetime] = None
    disqualified_by: Optional[int] = Field(default=None, foreign_key="officer.id")
