"""回访 and 好差评 (七(一)): the draw, the record of a visit, the rectification of a bad rating within
15 working days, the applicant's phone (masked, revealed on the record) — and every refusal."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlmodel import func, select

from app.db import transaction
from app.models import AuditEvent, ReturnVisit
from app.rules.calendar import holidays as calendar
from app.rules.supervision import return_visits
from app.rules.errors import Refused
from tests import flows
from tests.supervision import decided_case

GOOD = {"process": 5, "attitude": 4, "efficiency": "5", "integrity": 4}
BAD = {"process": 4, "attitude": 4, "efficiency": 3, "integrity": 2}


@pytest.fixture()
def people(db):
    """A001 (admin, stepped up), S001's key, P001 (auditor) signed in."""
    admin, admin_key = flows.enroll_admin()
    approver_key = flows.register_key(admin, admin_key, "S001")
    auditor_key = flows.register_key(admin, admin_key, "P001")
    return {"admin": admin, "admin_key": admin_key, "auditor": flows.sign_in("P001", auditor_key),
            "approver": flows.sign_in("S001", approver_key)}


def visit_rows() -> list[tuple]:
    with transaction() as s:
        return sorted((v.id, v.case_id, v.visited_at is not None, v.closed_at is not None, v.verification)
                      for v in s.exec(select(ReturnVisit)))


def refused(fn, code: str) -> Refused:
    """Refused with `code`, with a Chinese reason, and no visit added or changed."""
    before = visit_rows()
    with pytest.raises(Refused) as exc:
        fn()
    assert exc.value.code == code, exc.value
    assert exc.value.message
    assert visit_rows() == before
    return exc.value


def last_event(action: str) -> AuditEvent:
    with transaction() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc())).first()


def test_sample_sizes_are_integer_ceilings_with_at_least_one():
    assert [return_visits.sample_size(n, 20) for n in (0, 1, 4, 5, 6, 101)] == [0, 1, 1, 1, 2, 21]
    assert return_visits.sample_size(100, 7) == 7  # float ceil(100 * 0.07) would give 8
    assert return_visits.sample_size(3, 100) == 3


def test_draw_is_reproducible_recorded_and_never_draws_a_case_twice(people):
    cases = [decided_case("S001", date(2026, 9, d), date(2026, 9, 30)) for d in range(1, 11)]
    decided_case("S001", date(2026, 10, 2), date(2026, 10, 30))  # outside the period
    draw = return_visits.draw(people["auditor"], "2026-09-01", "2026-09-30", "20")
    assert draw.population == 10 and len(draw.visits) == 2
    assert all(v.drawn_by == people["auditor"].officer_id for v in draw.visits)
    event = last_event("visit.drawn")
    assert event.actor_id == people["auditor"].officer_id
    assert event.details["population"] == [c.id for c in cases] and event.details["rate_percent"] == 20
    # Anyone can re-run it from the recorded population, period and rate.
    digest = return_visits.population_digest(event.details["population"])
    seed = return_visits.draw_seed(date(2026, 9, 1), date(2026, 9, 30), 20, digest)
    assert seed.hex() == event.details["seed"] == draw.seed and digest == draw.population_digest
    assert return_visits.draw_order(event.details["population"], seed)[:2] == event.details["sample"] \
        == [v.case_id for v in draw.visits]
    # A second draw of the period takes from the cases not drawn yet; the 30% sample of 8 is 3.
    second = return_visits.draw(people["auditor"], "2026-09-01", "2026-09-30", 30)
    assert second.population == 8 and len(second.visits) == 3
    assert not {v.case_id for v in second.visits} & {v.case_id for v in draw.visits}
    with transaction() as s:
        assert s.exec(select(func.count()).select_from(ReturnVisit)).one() == 5


def test_draw_refusals(people):
    auditor = people["auditor"]
    decided_case("S001", date(2026, 9, 1), date(2026, 9, 30))
    refused(lambda: return_visits.draw(people["approver"], "2026-09-01", "2026-09-30", 20), "role.denied")
    for rate in (0, 101, "abc", True, None, 12.5):
        refused(lambda: return_visits.draw(auditor, "2026-09-01", "2026-09-30", rate), "visits.bad_rate")
    refused(lambda: return_visits.draw(auditor, "2026-09-30", "2026-09-01", 20), "visits.bad_period")
    refused(lambda: return_visits.draw(auditor, "2026-09-01", "2099-01-01", 20), "visits.bad_period")
    refused(lambda: return_visits.draw(auditor, "2025-01-01", "2026-09-30", 20), "visits.bad_period")
    refused(lambda: return_visits.draw(auditor, "九月", "2026-09-30", 20), "input.invalid_date")
    refused(lambda: return_visits.draw(auditor, "2026-08-01", "2026-08-31", 20), "visits.nothing_to_draw")
    return_visits.draw(auditor, "2026-09-01", "2026-09-30", 100)
    refused(lambda: return_visits.draw(auditor, "2026-09-01", "2026-09-30", 100), "visits.nothing_to_draw")


def test_a_satisfied_visit_opens_no_rectification(people):
    case = decided_case("S001", date(2026, 9, 1), date(2026, 9, 30))
    [v] = return_visits.draw(people["auditor"], "2026-09-01", "2026-09-01", 20).visits
    visit = return_visits.record(people["auditor"], v.id, "phone", GOOD, "")
    assert visit.ratings == {"process": 5, "attitude": 4, "efficiency": 5, "integrity": 4}
    assert visit.rectification_due is None and visit.visited_by == people["auditor"].officer_id
    assert return_visits.is_satisfied(visit.ratings) and not return_visits.is_bad(visit.ratings)
    [row] = return_visits.visits(people["auditor"])
    assert (row.status, row.case.id, row.overdue) == ("recorded", case.id, False)
    refused(lambda: return_visits.close(people["auditor"], v.id, "核实", "整改"), "visits.no_rectification")


def test_bad_rating_is_due_15_working_days_later_across_national_day_and_closes(people, monkeypatch):
    auditor = people["auditor"]
    decided_case("S001", date(2026, 9, 25), date(2026, 9, 30))
    [v] = return_visits.draw(auditor, "2026-09-25", "2026-09-25", 20).visits
    # The visit is on Monday 2026-09-28 (Beijing): 9-29, 9-30, then the National Day holiday
    # (10-01 … 10-07), 10-08, 10-09, the make-up Saturday 10-10, 10-12 … 10-16, 10-19 … 10-23.
    monkeypatch.setattr(return_visits, "utcnow", lambda: datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc))
    visit = return_visits.record(auditor, v.id, "on_site", BAD, "反映窗口人员要求提供清单外材料")
    assert visit.rectification_due == date(2026, 10, 23)
    with transaction() as s:
        assert calendar.load(s).add_workdays(date(2026, 9, 28), 15) == (date(2026, 10, 23), False)
    assert last_event("visit.recorded").details["rectification_due"] == "2026-10-23"
    [row] = return_visits.rectifications(auditor)
    assert row.status == "rectifying" and row.overdue  # today (2026-11-27) is past the due date
    refused(lambda: return_visits.record(auditor, v.id, "phone", GOOD, ""), "visits.already_recorded")
    refused(lambda: return_visits.close(auditor, v.id, "", "已整改"), "input.reason_missing")
    refused(lambda: return_visits.close(auditor, v.id, "经核实属实", "  "), "input.reason_missing")
    refused(lambda: return_visits.close(people["approver"], v.id, "经核实属实", "已整改"), "role.denied")
    refused(lambda: return_visits.close(auditor, 999, "经核实属实", "已整改"), "visits.unknown")
    monkeypatch.undo()
    closed = return_visits.close(auditor, v.id, "经核实属实，窗口人员多要材料", "已约谈并培训，向申请人致歉")
    assert closed.closed_by == auditor.officer_id and closed.verification.startswith("经核实")
    [row] = return_visits.rectifications(auditor)
    assert (row.status, row.overdue, row.closed_late) == ("closed", False, True)
    assert last_event("visit.rectification_closed").details["late"] is True
    refused(lambda: return_visits.close(auditor, v.id, "再次核实", "再次整改"), "visits.already_closed")


def test_rectification_due_follows_the_admins_holiday_table(people, monkeypatch):
    decided_case("S001", date(2026, 9, 25), date(2026, 9, 30))
    [v] = return_visits.draw(people["auditor"], "2026-09-25", "2026-09-25", 20).visits
    calendar.add_entry(people["admin"], "2026-10-12", "holiday", "临时休假", "测试：管理员登记的节假日")
    monkeypatch.setattr(return_visits, "utcnow", lambda: datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc))
    visit = return_visits.record(people["auditor"], v.id, "phone", {**GOOD, "attitude": 1}, "态度差")
    assert visit.rectification_due == date(2026, 10, 26)


def test_record_refusals(people):
    auditor = people["auditor"]
    decided_case("S001", date(2026, 9, 1), date(2026, 9, 30))
    [v] = return_visits.draw(auditor, "2026-09-01", "2026-09-01", 20).visits
    refused(lambda: return_visits.record(people["approver"], v.id, "phone", GOOD, ""), "role.denied")
    for channel in ("", "email", None, ["phone"]):
        refused(lambda: return_visits.record(auditor, v.id, channel, GOOD, ""), "visits.bad_channel")
    refused(lambda: return_visits.record(auditor, v.id, "phone", "5555", ""), "input.invalid")
    refused(lambda: return_visits.record(auditor, v.id, "phone", {**GOOD, "integrity": ""}, ""),
            "visits.rating_missing")
    partial = dict(GOOD)
    del partial["process"]
    refused(lambda: return_visits.record(auditor, v.id, "phone", partial, ""), "visits.rating_missing")
    for bad in (0, 6, "满意", True, 4.5, [5]):
        refused(lambda: return_visits.record(auditor, v.id, "phone", {**GOOD, "process": bad}, ""),
                "visits.rating_invalid")
    refused(lambda: return_visits.record(auditor, v.id, "sms", BAD, "  "), "visits.comments_missing")
    refused(lambda: return_visits.record(auditor, v.id, "sms", GOOD, "很好" * 501), "visits.comments_too_long")
    refused(lambda: return_visits.record(auditor, 999, "sms", GOOD, ""), "visits.unknown")
    refused(lambda: return_visits.record(auditor, str(v.id), "sms", GOOD, ""), "input.invalid")
    assert return_visits.record(auditor, v.id, "sms", GOOD, "").channel == "sms"


def test_phone_is_masked_in_lists_and_each_reveal_is_audited(people):
    auditor = people["auditor"]
    decided_case("S001", date(2026, 9, 1), date(2026, 9, 30), phone="13805331234")
    decided_case("S001", date(2026, 9, 2), date(2026, 9, 30), phone="")
    return_visits.draw(auditor, "2026-09-01", "2026-09-02", 100)
    rows = {r.case.applicant_name: r for r in return_visits.visits(auditor)}
    with_phone, without = sorted(rows.values(), key=lambda r: r.case.id)
    assert with_phone.applicant_phone_masked == "1380***1234" and without.applicant_phone_masked == ""
    assert return_visits.reveal_phone(auditor, with_phone.visit.id) == "13805331234"
    event = last_event("visit.phone_revealed")
    assert event.actor_id == auditor.officer_id and event.subject == f"case:{with_phone.case.id}"
    refused(lambda: return_visits.reveal_phone(auditor, without.visit.id), "visits.no_phone")
    refused(lambda: return_visits.reveal_phone(people["approver"], with_phone.visit.id), "role.denied")
    assert [r.status for r in return_visits.visits(auditor, "pending")] == ["pending", "pending"]
    assert return_visits.visits(auditor, "closed") == []
