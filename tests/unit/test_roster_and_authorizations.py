"""Roster, qualification records, eligibility (四), the authorization lifecycle (五), working days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.db import transaction
from app.models import Authorization, Case, SecurityKey
from app.rules.people import authorizations
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.counter import decisions
from app.rules.people import roster
from app.rules.people import sessions
from app.rules.errors import Refused
from app.rules.calendar.workdays import Calendar
from tests import flows

NEW = {"staff_no": "S009", "name": "周明", "department_code": "SCZT", "joined_on": "2020-03-01", "roles": ["approver"]}


@pytest.fixture()
def admin(db):
    principal, key = flows.enroll_admin()
    flows.step_up(principal, key)
    return principal, key


def qualify(admin_principal, officer_id: int) -> None:
    today = clock.today()
    roster.add_qualification(admin_principal, officer_id, {"kind": "assessment", "year": today.year - 1, "grade": "优秀"})
    roster.add_qualification(admin_principal, officer_id, {"kind": "training", "on_date": (today - timedelta(days=10)).isoformat(),
                                                           "title": "业务培训"})
    roster.add_qualification(admin_principal, officer_id, {"kind": "exam", "on_date": (today - timedelta(days=5)).isoformat(),
                                                           "title": "独立审批员专门考试", "passed": "yes"})


def test_ineligible_officer_is_refused_with_the_failing_conditions_named(admin):
    principal, _ = admin
    officer = roster.create_officer(principal, {**NEW, "joined_on": clock.today().isoformat()}, "新入职")
    _, _, _, conditions, _, _ = roster.officer_detail(principal, officer.id)
    assert [c.ok for c in conditions] == [False, False, False, False]
    err = flows.assert_refused(lambda: authorizations.grant(principal, officer.id, ["SCZT"], [], "会议纪要"),
                               "authorization.ineligible")
    for name in ("在职一年以上", "日常考核优秀", "定期参加业务培训", "通过独立审批员专门考试"):
        assert name in err.message


def test_grant_is_one_year_by_default_and_corrections_are_new_records(admin):
    principal, _ = admin
    officer = roster.create_officer(principal, NEW, "新增审批员")
    qualify(principal, officer.id)
    with transaction() as s:
        exam = s.exec(select(roster.Qualification).where(roster.Qualification.kind == "exam",
                                                         roster.Qualification.officer_id == officer.id)).one()
    roster.add_qualification(principal, officer.id, {"kind": "exam", "on_date": clock.today().isoformat(),
                                                     "title": "独立审批员专门考试", "passed": "no",
                                                     "corrects_id": str(exam.id), "note": "成绩登记有误"})
    flows.assert_refused(lambda: authorizations.grant(principal, officer.id, ["SCZT"], [], "纪要"),
                         "authorization.ineligible")
    roster.add_qualification(principal, officer.id, {"kind": "exam", "on_date": clock.today().isoformat(),
                                                     "title": "独立审批员专门考试（补考）", "passed": "yes"})
    auth = authorizations.grant(principal, officer.id, ["SCZT"], ["370303-WHLY-003"], "工作组会议纪要")
    assert auth.valid_from == clock.today() and auth.valid_until == authorizations.one_year_from(clock.today())
    flows.assert_refused(lambda: authorizations.grant(principal, officer.id, ["SHSW"], [], "重复"),
                         "authorization.exists")
    flows.assert_refused(lambda: authorizations.grant(principal, officer.id, [], [], "空"),
                         "authorization.exists")


def test_renewal_is_a_new_record_and_rebinds_keys(admin):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    with transaction() as s:
        old = s.exec(select(Authorization).where(Authorization.officer_id == approver.officer_id)).one()
    new = authorizations.renew(principal, old.id, "年度考评合格，重新授权")
    assert new.renews_id == old.id and new.id != old.id
    with transaction() as s:
        assert s.get(Authorization, old.id).superseded_at is not None
        stored_key = s.get(SecurityKey, approver.key_id)
        assert stored_key.authorization_id == new.id
    flows.sign_case(approver, key, flows.accept_case(approver))  # the re-bound key signs
    flows.assert_refused(lambda: authorizations.renew(principal, old.id, "再续"), "authorization.not_renewable")


def test_revocation_stops_the_keys_at_once(admin):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    case = flows.accept_case(approver)
    request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
    with transaction() as s:
        auth = s.exec(select(Authorization).where(Authorization.officer_id == approver.officer_id)).one()
    authorizations.revoke(principal, auth.id, "调离审批岗位")
    flows.assert_refused(lambda: decisions.complete(approver, request.challenge_id, key.get(request.options_json)),
                         "authorization.inactive")
    with pytest.raises(Refused):
        flows.current(approver)


def test_authorization_power_needs_step_up(db):
    principal, _ = flows.enroll_admin()
    with transaction() as s:
        auth = s.exec(select(Authorization)).first()
    flows.assert_refused(lambda: authorizations.revoke(principal, auth.id, "x"), "stepup.required")


def test_expiring_within_30_days_are_listed(admin):
    principal, _ = admin
    with transaction() as s:
        auth = s.exec(select(Authorization).where(Authorization.officer_id == flows.officer_id("S002"))).one()
        auth.valid_until = clock.today() + timedelta(days=20)
        s.add(auth)
    assert [o.staff_no for _, o in authorizations.expiring(principal)] == ["S002"]


def test_exit_revokes_everything_and_history_keeps_it(admin):
    principal, admin_key = admin
    flows.register_key(principal, admin_key, "S001")
    officer_id = flows.officer_id("S001")
    roster.exit_officer(principal, officer_id, "调往其他单位")
    officer, _, _, _, auths, history = roster.officer_detail(principal, officer_id)
    assert officer.status == "exited" and all(a.revoked_at for a in auths)
    with transaction() as s:
        assert all(k.status == "revoked" for k in s.exec(select(SecurityKey).where(SecurityKey.officer_id == officer_id)))
    text = " ".join(what for _, what, _ in history)
    assert "撤销" in text and "停用" in text and "登记入名册" in text


def test_roster_search_pages_on_the_server(admin):
    principal, _ = admin
    for n in range(25):
        roster.create_officer(principal, {**NEW, "staff_no": f"T{n:03d}", "name": f"测试{n}"}, "批量")
    page = roster.search(principal, text="测试", page=2, page_size=20)
    assert (page.total, page.pages, len(page.rows)) == (25, 2, 5)
    assert roster.search(principal, role="auditor").total == 2


def test_working_days_with_make_up_days_and_years_without_data(admin):
    principal, _ = admin
    assert Calendar().add_workdays(date(2026, 2, 13), 20) == (date(2026, 3, 19), False)  # 2/14 make-up Saturday
    assert Calendar().add_workdays(date(2026, 12, 21), 20) == (date(2027, 1, 18), True)  # 2027: weekday rule
    with transaction() as s:
        assert calendar.years_needing_data(s, date(2026, 12, 1)) == [2027]


def test_provisional_deadline_is_corrected_when_2027_is_entered(admin, monkeypatch):
    principal, admin_key = admin
    key = flows.register_key(principal, admin_key, "S002")
    approver = flows.sign_in("S002", key)
    from app.rules.catalog import items as catalog

    catalog.update_item(principal, flows.item_id("370303-SHSW-002"),
                        {"promised_limit_days": "20", "statutory_limit_days": "20"}, "按法定时限")
    monkeypatch.setattr(clock, "today", lambda: date(2026, 12, 21))
    from app.rules.counter import cases

    case = cases.accept_new_case(approver, flows.item_id("370303-SHSW-002"), "张店区某协会", "居民身份证",
                                 flows.VALID_ID, [0, 1], True)
    with transaction() as s:
        row = s.get(Case, case.id)
        row.accepted_at = row.accepted_at.replace(year=2026, month=12, day=21, hour=2)
        s.add(row)
    assert (case.deadline, case.deadline_provisional) == (date(2027, 1, 18), True)
    calendar.add_entry(principal, "2027-01-01", "holiday", "元旦", "国务院办公厅 2027 年部分节假日安排")
    calendar.mark_year_entered(principal, 2027, "2027 年安排已全部录入")
    with transaction() as s:
        row = s.get(Case, case.id)
    assert (row.deadline, row.deadline_provisional) == (date(2027, 1, 19), False)
