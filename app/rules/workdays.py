"""Working-day deadlines (行政许可法 第八十二条): counted from the day after acceptance; make-up
weekend days (调休) are working days. Sources, strongest first: the admins' holiday table, the
`chinesecalendar` package, and — for a year neither knows — the weekday rule, which makes the
deadline provisional until an admin enters that year's schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class Calendar:
    overrides: dict[date, bool] = field(default_factory=dict)  # day -> is a working day
    entered_years: frozenset[int] = frozenset()  # years whose schedule admins entered in full

    def is_workday(self, day: date) -> tuple[bool, bool]:
        """(is a working day, known for certain)."""
        if day in self.overrides:
            return self.overrides[day], True
        try:
            return chinese_calendar.is_workday(day), True
        except NotImplementedError:
            return day.weekday() < 5, day.year in self.entered_years

    def add_workdays(self, start: date, days: int) -> tuple[date, bool]:
        """The day on which `days` working days after `start` end; (deadline, provisional)."""
        day, counted, provisional = start, 0, False
        while counted < days:
            day += timedelta(days=1)
            working, known = self.is_workday(day)
            provisional |= not known
            counted += working
        return day, provisional

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier):
        what is left of a time limit, or by how much it is overrun."""
        sign, (low, high) = (1, (start, end)) if end >= start else (-1, (end, start))
        return sign * sum(self.is_workday(low + timedelta(days=n))[0] for n in range(1, (high - low).days + 1))


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def add_workdays(start: date, days: int) -> tuple[date, bool]:
    """With the package alone (no admin table)."""
    return Calendar().add_workdays(start, days)
