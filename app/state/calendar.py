"""The holiday calendar: a year's 12 months as the deadlines count them, the admins' entries
(holidays and make-up working days, taking precedence), years without data flagged."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from app.db import transaction
from app.models import Officer
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.calendar.clock import local
from app.rules.people.roles import ADMIN
from app.rules.calendar.workdays import KIND_NAMES, SOURCE_NAMES, DayMark
from app.state.auth import AuthState, to_int

WEEKDAYS = "一二三四五六日"
BLANK = {"d": "", "date": "", "kind": "", "cls": "cal-day cal-blank", "title": ""}


def _cell(mark: DayMark | None, today) -> dict[str, str]:
    if mark is None:
        return BLANK
    what = KIND_NAMES[mark.kind] + (f"（{mark.name}）" if mark.name else "")
    source = SOURCE_NAMES[mark.source] + ("" if mark.certain else "，暂定")
    classes = ["cal-day", f"cal-{mark.kind}", f"cal-src-{mark.source}"]
    classes += [] if mark.certain else ["cal-provisional"]
    classes += ["cal-today"] if mark.day == today else []
    return {"d": str(mark.day.day), "date": mark.day.isoformat(), "kind": mark.kind, "cls": " ".join(classes),
            "title": f"{mark.day.month}月{mark.day.day}日 星期{WEEKDAYS[mark.day.weekday()]}：{what}，{source}"}


def _notes(weeks: list[list[DayMark | None]]) -> str:
    """The month's holidays as ranges, and its make-up working days: "国庆节 1–7日；10日调休上班"."""
    days = [d for week in weeks for d in week if d is not None]
    parts, run = [], []
    for d in days + [None]:
        if d is not None and d.kind == "holiday" and run and run[-1].name == d.name \
                and run[-1].day.toordinal() + 1 == d.day.toordinal():
            run.append(d)
            continue
        if run:
            span = f"{run[0].day.day}日" if len(run) == 1 else f"{run[0].day.day}–{run[-1].day.day}日"
            parts.append(f"{run[0].name or '放假'} {span}" + ("（工作组录入）" if run[0].source == "admin" else ""))
        run = [d] if d is not None and d.kind == "holiday" else []
        if d is not None and d.kind == "makeup":
            parts.append(f"{d.day.day}日调休上班" + ("（工作组录入）" if d.source == "admin" else ""))
    return "；".join(parts)


class CalendarState(AuthState):
    year: int = 0
    entries: list[dict[str, str]] = []
    missing_years: list[str] = []
    year_known: bool = False
    month_days: list[list[dict[str, str]]] = []
    month_notes: list[str] = []
    rest_days: int = 0
    work_days: int = 0

    def _reload(self, principal) -> None:
        entries, missing, known = calendar.overview(principal, self.year)
        with transaction() as session:
            names = {o.id: o.name for o in session.exec(select(Officer))}
        self.entries = [{"day": e.day.isoformat(), "kind": calendar.KINDS[e.kind], "name": e.name,
                         "by": names.get(e.created_by, ""), "at": local(e.created_at), "reason": e.reason}
                        for e in entries]
        self.missing_years = [str(y) for y in missing]
        self.year_known = known
        grid, today = calendar.year_grid(principal, self.year), clock.today()
        self.month_days = [[_cell(d, today) for week in weeks for d in week] for weeks in grid]
        self.month_notes = [_notes(weeks) for weeks in grid]
        marks = [d for weeks in grid for week in weeks for d in week if d is not None]
        self.work_days = sum(d.workday for d in marks)
        self.rest_days = len(marks) - self.work_days

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        asked = to_int(self.router.url.query_parameters.get("year", ""))
        self.year = asked if asked and 2000 <= asked <= 2100 else clock.today().year
        self._reload(principal)

    @rx.event
    def show_year(self, year: str | dict):
        """A year from the year box (its value, or its form), or the previous / next buttons."""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        number = to_int(year.get("year") if isinstance(year, dict) else year)
        self.year = number if number and 2000 <= number <= 2100 else clock.today().year
        self._reload(principal)

    def _done(self, message: str):
        def finish(principal, _result):
            self._reload(principal)
            self.notice = message
        return finish

    @rx.event
    def add_entry(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: calendar.add_entry(
            p, f.get("day"), f.get("kind"), f.get("name"), f.get("reason")),
            self._done("已登记；在办件的暂定期限已按新日历重新计算"))

    @rx.event
    def mark_entered(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: calendar.mark_year_entered(p, self.year, f.get("note")),
                         self._done(f"{self.year} 年安排已确认，该年期限不再是暂定"))
