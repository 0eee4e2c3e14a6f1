"""Working-day deadlines (行政许可法 第八十二条): counted from the day after acceptance; make-up
weekend days (调休) are working days. Sources, strongest first: the admins' holiday table, the
`chinesecalendar` package, and — for a year neither knows — the weekday rule, which makes the
deadline provisional until an admin enters that year's schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping, Optional

import chinese_calendar

# The package names its holidays in English.
HOLIDAY_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日"}
KIND_NAMES = {"holiday": "法定节假日", "makeup": "调休上班", "weekend": "周末", "workday": "工作日"}
SOURCE_NAMES = {"admin": "工作组录入", "package": "内置日历", "weekday": "按周一至周五推定"}


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


@dataclass(frozen=True)
class DayMark:
    """One day as the deadlines count it, and why."""

    day: date
    workday: bool
    kind: str  # "holiday" 法定节假日 | "makeup" 调休上班 | "weekend" 周末 | "workday" 工作日
    source: str  # "admin" (the admins' table) | "package" (chinesecalendar) | "weekday" (the weekday rule)
    name: str = ""  # the holiday's name; for a make-up day, the holiday it makes up for
    certain: bool = True  # False: weekday rule in a year nobody has entered (deadlines provisional)


def mark_day(calendar: Calendar, day: date, names: Optional[Mapping[date, str]] = None) -> DayMark:
    """Strongest source first, as Calendar.is_workday: admin entry > package > weekday rule."""
    weekend = day.weekday() >= 5
    if day in calendar.overrides:
        working = calendar.overrides[day]
        kind = ("makeup" if weekend else "workday") if working else "holiday"
        return DayMark(day, working, kind, "admin", (names or {}).get(day, ""))
    try:
        working = chinese_calendar.is_workday(day)
        _, holiday = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayMark(day, not weekend, "weekend" if weekend else "workday", "weekday",
                       certain=day.year in calendar.entered_years)
    name = HOLIDAY_NAMES.get(holiday, holiday or "")
    if working:
        return DayMark(day, True, "makeup" if weekend else "workday", "package", name if weekend else "")
    return DayMark(day, False, "holiday" if name else "weekend", "package", name)


def month_grid(calendar: Calendar, year: int,
               names: Optional[Mapping[date, str]] = None) -> list[list[list[Optional[DayMark]]]]:
    """A year as 12 months, each a list of weeks (Monday first) of 7 days; None outside the month."""
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        day = first - timedelta(days=first.weekday())
        weeks = []
        while day.year < year or (day.year == year and day.month <= month):
            weeks.append([mark_day(calendar, d, names) if d.month == month else None
                          for d in (day + timedelta(days=i) for i in range(7))])
            day += timedelta(days=7)
        months.append(weeks)
    return months


def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def add_workdays(start: date, days: int) -> tuple[date, bool]:
    """With the package alone (no admin table)."""
    return Calendar().add_workdays(start, days)
