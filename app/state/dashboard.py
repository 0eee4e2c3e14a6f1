"""统计 for auditors and the working group: the year's tables behind the charts, each exportable."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.rules.calendar import clock

from app.rules.supervision import dashboard
from app.rules.errors import Refused
from app.state.auth import AuthState

TABLES = ("by_month", "by_item", "by_approver", "on_time", "satisfaction", "defects")


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


class DashboardState(AuthState):
    year: str = ""
    # Chart data: numbers stay numbers; a rate with nothing to count is null (a gap, never a made-up 0).
    charts: dict[str, list[dict[str, str | int | float | None]]] = {t: [] for t in TABLES}
    titles: dict[str, str] = {t: "" for t in TABLES}
    headers: dict[str, list[str]] = {t: [] for t in TABLES}
    rows: dict[str, list[list[str]]] = {t: [] for t in TABLES}

    def _reload(self, principal) -> None:
        tables = dashboard.tables(principal, self.year)
        self.charts = {k: t.rows for k, t in tables.items()}
        self.titles = {k: t.title for k, t in tables.items()}
        self.headers = {k: [h for _, h in t.columns] for k, t in tables.items()}
        self.rows = {k: [[_cell(r[f]) for f, _ in t.columns] for r in t.rows] for k, t in tables.items()}

    @rx.event
    def load(self):
        """Auditors and admins: the rule refuses anyone else."""
        principal = self._principal()
        if principal is None:
            return self._exit()
        self.year = self.year or str(clock.today().year)
        try:
            self._reload(principal)
        except Refused as exc:
            self._refused(exc)

    @rx.event
    def choose_year(self, form_data: dict):
        def run(principal, form):
            year = str(form.get("year") or "").strip()[:4]
            dashboard.tables(principal, year)  # refuses a bad year before it is kept
            self.year = year
        return self._act(None, form_data, run, lambda principal, _: self._reload(principal))

    @rx.event(background=True)
    async def export(self, key: str):
        """The xlsx goes through the socket (rx.download with data), never a public folder."""
        async with self:
            self.error, self.notice = "", ""
            principal = self._principal()
            exit_event = self._exit() if principal is None else None
            year = self.year
        if principal is None:
            yield exit_event
            return
        try:
            name, data = await asyncio.to_thread(dashboard.export_xlsx, principal, year, key)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        yield rx.download(data=data, filename=name,
                          mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
