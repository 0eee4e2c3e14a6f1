"""The holiday calendar as the admins see it: every day of a year marked workday or rest day,
with its source (admin entry > chinesecalendar > weekday rule), as the deadlines count it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.rules.calendar import holidays as calendar
from app.rules.errors import Refused
from app.rules.calendar.workdays import Calendar, mark_day, month_grid
from tests import flows


def _days(grid):
    return {d.day: d for weeks in grid for week in weeks for d in week if d is not None}


def test_a_year_is_twelve_months_of_monday_first_weeks():
    grid = month_grid(Calendar(), 2026)
    assert len(grid) == 12
    for month, weeks in enumerate(grid, start=1):
        assert all(len(week) == 7 for week in weeks)
        days = [d for week in weeks for d in week if d is not None]
        assert [d.day for d in days] == [date(2026, month, 1) + timedelta(days=i) for i in range(len(days))]
        assert days[-1].day.month == month and (days[-1].day + timedelta(days=1)).month != month
        for week in weeks:
            for weekday, d in enumerate(week):
                assert d is None or d.day.weekday() == weekday
    assert len(_days(grid)) == 365


def test_national_day_comes_from_the_package_and_the_make_up_saturday_is_a_workday():
    days = _days(month_grid(Calendar(), 2026))
    for n in range(1, 8):
        d = days[date(2026, 10, n)]
        assert (d.workday, d.kind, d.source, d.name, d.certain) == (False, "holiday", "package", "国庆节", True)
    saturday = days[date(2026, 10, 10)]
    assert saturday.day.weekday() == 5
    assert (saturday.workday, saturday.kind, saturday.source, saturday.name) == (True, "makeup", "package", "国庆节")
    assert (days[date(2026, 10, 11)].kind, days[date(2026, 10, 11)].workday) == ("weekend", False)
    assert (days[date(2026, 10, 12)].kind, days[date(2026, 10, 12)].workday) == ("workday", True)
    assert days[date(2026, 2, 14)].kind == "makeup"  # the 春节 make-up Saturday


def test_an_admin_entry_overrides_the_package():
    cal = Calendar({date(2026, 10, 1): True, date(2026, 10, 12): False, date(2026, 10, 11): True})
    names = {date(2026, 10, 12): "临时停止对外办公", date(2026, 10, 11): "调休上班"}
    days = _days(month_grid(cal, 2026, names))
    assert (days[date(2026, 10, 1)].workday, days[date(2026, 10, 1)].kind, days[date(2026, 10, 1)].source) == \
        (True, "workday", "admin")
    assert (days[date(2026, 10, 12)].workday, days[date(2026, 10, 12)].kind, days[date(2026, 10, 12)].name) == \
        (False, "holiday", "临时停止对外办公")
    assert (days[date(2026, 10, 11)].kind, days[date(2026, 10, 11)].source) == ("makeup", "admin")
    assert days[date(2026, 10, 2)].source == "package"


def test_a_year_without_data_is_the_weekday_rule_and_provisional_until_entered():
    days = _days(month_grid(Calendar(), 2027))
    first = days[date(2027, 1, 1)]  # a Friday: no data, so a provisional workday
    assert (first.workday, first.kind, first.source, first.certain) == (True, "workday", "weekday", False)
    assert (days[date(2027, 1, 2)].kind, days[date(2027, 1, 2)].certain) == ("weekend", False)
    entered = _days(month_grid(Calendar(entered_years=frozenset({2027})), 2027))
    assert entered[date(2027, 1, 4)].certain


@pytest.mark.parametrize("year", [2026, 2027])
def test_the_grid_agrees_with_the_deadline_calendar(year):
    cal = Calendar({date(year, 3, 2): False, date(year, 3, 7): True})
    day = date(year, 1, 1)
    while day.year == year:
        assert (mark_day(cal, day).workday, mark_day(cal, day).certain) == cal.is_workday(day)
        day += timedelta(days=1)


def test_year_grid_reads_the_admins_table(db):
    principal, key = flows.enroll_admin()
    calendar.add_entry(principal, "2026-10-12", "holiday", "临时停止对外办公", "区政府通知")
    calendar.add_entry(principal, "2026-10-01", "workday", "", "测试")
    calendar.add_entry(principal, "2026-10-01", "withdrawn", "", "登记有误")
    days = _days(calendar.year_grid(principal, 2026))
    assert (days[date(2026, 10, 12)].source, days[date(2026, 10, 12)].name, days[date(2026, 10, 12)].workday) == \
        ("admin", "临时停止对外办公", False)
    assert (days[date(2026, 10, 1)].source, days[date(2026, 10, 1)].kind) == ("package", "holiday")
    for bad in (1999, "2026", None, True):
        with pytest.raises(Refused):
            calendar.year_grid(principal, bad)
    approver = flows.sign_in("S001", flows.register_key(principal, key, "S001"))
    with pytest.raises(Refused):
        calendar.year_grid(approver, 2026)
