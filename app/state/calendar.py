"""The holiday table: holidays and make-up working days per year; years without data flagged."""

from __future__ import annotations

import reflex as rx

from app.models import Officer
from app.db import transaction
from app.rules import calendar, clock
from app.rules.clock import local
from app.rules.roles import ADMIN
from app.state.auth import AuthState, to_int
from sqlmodel import select


class CalendarState(AuthState):
    year: int = 0
    entries: list[dict[str, str]] = []
    missing_years: list[str] = []
    year_known: bool = False

    def _reload(self, principal) -> None:
        entries, missing, known = calendar.overview(principal, self.year)
        with transaction() as session:
            names = {o.id: o.name for o in session.exec(select(Officer))}
        self.entries = [{"day": e.day.isoformat(), "kind": calendar.KINDS[e.kind], "name": e.name,
                         "by": names.get(e.created_by, ""), "at": local(e.created_at), "reason": e.reason}
                        for e in entries]
        self.missing_years = [str(y) for y in missing]
        self.year_known = known

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.year = to_int(self.router.url.query_parameters.get("year", "")) or clock.today().year
        self._reload(principal)

    @rx.event
    def show_year(self, year: str):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        number = to_int(year)
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
