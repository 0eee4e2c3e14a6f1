"""Smaller rules: enrollment links, keys without authorization, working days, audit log, masking."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from app.db import transaction
from app.models import Authorization, AuditEvent, EnrollmentToken
from app.models.base import utcnow
from app.rules import audit, personal_data
from app.rules.people import keys
from app.rules.errors import Refused
from app.rules.counter.identity import normalize_id
from app.rules.calendar.workdays import add_workdays
from tests import flows
from tests.softkey import SoftKey


def test_rules_and_signing_import_no_reflex():
    code = ("import sys, app.rules.counter.decisions, app.rules.people.sessions, app.rules.people.keys, app.signing.verify, app.cli;"
            "assert 'reflex' not in sys.modules, 'reflex imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_enrollment_link_is_single_use(db):
    link = keys.create_first_admin_link("A001", "王建国")
    token = parse_qs(urlsplit(link).query)["token"][0]
    challenge_id, options, _ = keys.begin_enrollment(token)
    keys.finish_enrollment(token, challenge_id, SoftKey().create(options))
    with pytest.raises(Refused) as exc:
        keys.begin_enrollment(token)
    assert exc.value.code == "enroll.token_used"
    with pytest.raises(Refused) as exc:  # and no second bootstrap once an admin has a key
        keys.create_first_admin_link("A009", "某某")
    assert exc.value.code == "enroll.already_bootstrapped"


def test_expired_enrollment_link_is_refused(db):
    link = keys.create_first_admin_link("A001", "王建国")
    token = parse_qs(urlsplit(link).query)["token"][0]
    with transaction() as s:
        row = s.exec(select(EnrollmentToken)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        s.add(row)
    with pytest.raises(Refused) as exc:
        keys.begin_enrollment(token)
    assert exc.value.code == "enroll.token_expired"


def test_approver_without_active_authorization_gets_no_key(db):
    admin, admin_key = flows.enroll_admin()
    with transaction() as s:
        auth = s.exec(select(Authorization).where(Authorization.officer_id == flows.officer_id("S001"))).one()
        auth.revoked_at, auth.revoke_reason = utcnow(), "退出"
        s.add(auth)
    with pytest.raises(Refused) as exc:
        flows.register_key(admin, admin_key, "S001")
    assert exc.value.code == "key.no_authorization"


def test_working_days_count_from_the_next_day_with_make_up_days():
    # 2026-02-13 (Fri) + 20 working days: the make-up Saturday 2/14 counts, the Spring Festival does not.
    assert add_workdays(date(2026, 2, 13), 20) == (date(2026, 3, 19), False)
    assert add_workdays(date(2026, 11, 27), 0) == (date(2026, 11, 27), False)
    deadline, provisional = add_workdays(date(2026, 12, 21), 20)  # runs into 2027: no official data yet
    assert provisional and deadline.year == 2027


def test_audit_log_is_append_only_and_chained(db):
    with transaction() as s:
        audit.record(s, "test.event", "x", None, n=1)
        audit.record(s, "test.event", "y", None, n=2)
    with transaction() as s:
        assert audit.verify_chain(s) == (True, None)
    for sql in ("UPDATE audit_event SET subject = 'z'", "DELETE FROM audit_event"):
        with pytest.raises((DBAPIError, Refused)):
            with transaction() as s:
                s.exec(text(sql))
    with transaction() as s:
        assert len(s.exec(select(AuditEvent)).all()) >= 2


def test_chain_detects_a_rewritten_row(db):
    with transaction() as s:
        audit.record(s, "test.event", "x", None, n=1)
        audit.record(s, "test.event", "y", None, n=2)
    with transaction() as s:
        events = [AuditEvent(**e.model_dump()) for e in s.exec(select(AuditEvent).order_by(AuditEvent.seq))]
    assert audit.verify_events(events) == (True, None)
    events[-2].details = {"n": 99}  # what an edit behind the triggers' back looks like to the verifier
    assert audit.verify_events(events) == (False, events[-2].seq)


def test_id_numbers_are_validated_masked_and_encrypted():
    assert normalize_id("居民身份证", "11010519491231002x") == ("居民身份证", "11010519491231002X")
    with pytest.raises(Refused):
        normalize_id("居民身份证", "110105194912310021")
    assert personal_data.mask("11010519491231002X") == "1101**********002X"
    token = personal_data.encrypt("11010519491231002X")
    assert b"1101051949" not in token and personal_data.decrypt(token) == "11010519491231002X"
