"""Working-day deadlines (行政许可法 第八十二条): counted from the day after acceptance,
make-up weekend days (调休) are working days. Years the calendar package does not know fall
back to the weekday rule and the deadline is marked provisional."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date) -> tuple[bool, bool]:
    """(is a working day, known from official data)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_workdays(start: date, days: int) -> tuple[date, bool]:
    """The day on which `days` working days after `start` end; (deadline, provisional)."""
    day, counted, provisional = start, 0, False
    while counted < days:
        day += timedelta(days=1)
        working, known = is_workday(day)
        provisional |= not known
        counted += working
    return day, provisional
