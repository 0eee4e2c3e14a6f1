"""Fixtures for the supervision tests (return visits, assessments, dashboard): decided cases written
straight into the tables, with the dates a test needs (signing real decisions cannot back-date)."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time
from typing import Optional

from sqlmodel import select

from app.db import transaction
from app.models import Case, CaseEvent, Decision, Item, Officer, ReturnVisit, SecurityKey, SpotCheck, SpotCheckReview
from app.rules import personal_data
from app.rules.calendar import clock

_seq = itertools.count(1)


def beijing_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), clock.BEIJING)


def decided_case(staff_no: str, decided_on: date, deadline: Optional[date], outcome: str = "approved",
                 code: str = "370303-SCZT-001", phone: str = "13805331234") -> Case:
    """A case accepted the day before and decided on `decided_on` (Beijing noon) by the officer, signed
    with the officer's first key (which must exist)."""
    n = next(_seq)
    with transaction() as s:
        officer = s.exec(select(Officer).where(Officer.staff_no == staff_no)).one()
        key = s.exec(select(SecurityKey).where(SecurityKey.officer_id == officer.id)).first()
        item = s.exec(select(Item).where(Item.code == code)).one()
        at = beijing_noon(decided_on)
        case = Case(case_no=f"SLTEST{n:08d}", item_id=item.id, item_revision=item.revision, approver_id=officer.id,
                    applicant_name=f"申请人{n}", applicant_id_type="居民身份证",
                    applicant_id_encrypted=personal_data.encrypt("11010519491231002X"),
                    applicant_id_masked="1101**********002X",
                    applicant_phone_encrypted=personal_data.encrypt(phone) if phone else b"",
                    no_conflict_declared=True, state="not_accepted" if outcome == "not_accepted" else "decided",
                    outcome=outcome, created_at=at, accepted_at=None if outcome == "not_accepted" else at,
                    deadline=deadline, decided_at=at)
        s.add(case)
        s.flush()
        s.add(CaseEvent(case_id=case.id, kind="received", officer_id=officer.id, at=at,
                        details={"item_code": code, "item_revision": item.revision}))
        if outcome != "not_accepted":
            s.add(CaseEvent(case_id=case.id, kind="accepted", officer_id=officer.id, at=at,
                            details={"deadline": deadline.isoformat() if deadline else ""}))
        s.add(Decision(case_id=case.id, outcome=outcome, document_number=f"测试〔{decided_on.year}〕{n}号",
                       verification_code=f"TEST{n:012d}", decided_at=at, approver_id=officer.id, key_id=key.id,
                       authorization_id=key.authorization_id, scope_items=[],
                       payload=json.dumps({"review_opinion": "同意", "key": {"fingerprint": "ab:cd"}}),
                       payload_sha256="0" * 64, sign_count=0, document_sha256="0" * 64, pdf_sha256="0" * 64,
                       pdf_size=0, credential_id=key.credential_id))
        return case


def spot_review(case_id: int, reviewer_id: int, result: str, quarter: str = "2026Q3", notes: str = "") -> None:
    """A spot-check review of the case (the spot-check rules are another module's; the table is shared)."""
    with transaction() as s:
        check = SpotCheck(quarter=quarter, population=[], population_digest="0" * 64, committed_by=reviewer_id,
                          sample=[case_id], state="drawn")
        s.add(check)
        s.flush()
        s.add(SpotCheckReview(spot_check_id=check.id, case_id=case_id, reviewer_id=reviewer_id, result=result,
                              notes=notes or result))


def visit(case_id: int, drawn_by: int, ratings: dict, when: Optional[datetime] = None) -> ReturnVisit:
    """A recorded visit written directly (the rule is tested separately)."""
    with transaction() as s:
        v = ReturnVisit(case_id=case_id, drawn_by=drawn_by, visited_by=drawn_by, channel="phone",
                        visited_at=when or beijing_noon(date(2026, 10, 10)), ratings=ratings)
        s.add(v)
        s.flush()
        return v
