"""The admins' holiday table: holidays and make-up working days per year, taking precedence
over the `chinesecalendar` package; years without data are flagged until entered."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import CalendarEntry, CalendarYear, Case, Item
from app.rules import audit, inputs
from app.rules.calendar import clock
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN
from app.rules.calendar.workdays import Calendar, DayMark, month_grid, package_knows

KINDS = {"holiday": "放假", "workday": "调休上班", "withdrawn": "撤回"}


def load(session: Session) -> Calendar:
    """The newest entry per day wins; a withdrawn entry removes the day's override."""
    return _load_named(session)[0]


def _load_named(session: Session) -> tuple[Calendar, dict[date, str]]:
    overrides: dict[date, bool] = {}
    names: dict[date, str] = {}
    for entry in session.exec(select(CalendarEntry).order_by(CalendarEntry.created_at, CalendarEntry.id)):
        if entry.kind == "withdrawn":
            overrides.pop(entry.day, None)
            names.pop(entry.day, None)
        else:
            overrides[entry.day] = entry.kind == "workday"
            names[entry.day] = entry.name
    years = frozenset(y.year for y in session.exec(select(CalendarYear)))
    return Calendar(overrides, years), names


def year_grid(principal: Principal, year: Any) -> list[list[list[DayMark | None]]]:
    """The year's 12 months as the deadlines count them: every day a workday or a rest day, with
    its source (admin entry > chinesecalendar > weekday rule) and holiday or make-up name."""
    principal.require(ADMIN)
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise refuse("calendar.invalid", "年份不合理")
    with transaction() as session:
        calendar, names = _load_named(session)
    return month_grid(calendar, year, names)


def deadline(session: Session, accepted_on: date, days: int) -> tuple[date, bool]:
    return load(session).add_workdays(accepted_on, days)


@audit_refusals("calendar.entry")
def add_entry(admin: Principal, day: Any, kind: Any, name: Any, reason: Any) -> CalendarEntry:
    admin.require(ADMIN)
    reason = inputs.reason(reason)
    on = inputs.day(day, "日期")
    if kind not in KINDS:
        raise refuse("calendar.invalid", "请选择：放假、调休上班或撤回")
    with transaction() as session:
        entry = CalendarEntry(day=on, kind=kind, name=str(name or "").strip()[:50], created_by=admin.officer_id,
                              reason=reason)
        session.add(entry)
        session.flush()
        audit.record(session, "calendar.entry", f"calendar:{on.isoformat()}", admin.officer_id, kind=kind,
                     name=entry.name, reason=reason)
        _recompute_provisional(session, admin)
        return entry


@audit_refusals("calendar.year")
def mark_year_entered(admin: Principal, year: Any, note: Any) -> None:
    """The year's official schedule (国务院办公厅 notice) is now fully in the table."""
    admin.require(ADMIN)
    note = inputs.reason(note)
    try:
        year = int(str(year).strip())
    except ValueError:
        raise refuse("calendar.invalid", "请填写年份")
    if not 2000 <= year <= 2100:
        raise refuse("calendar.invalid", "年份不合理")
    with transaction() as session:
        if session.exec(select(CalendarYear).where(CalendarYear.year == year)).first():
            raise refuse("calendar.year_entered", f"{year} 年的安排已确认录入")
        session.add(CalendarYear(year=year, created_by=admin.officer_id, note=note))
        session.flush()
        audit.record(session, "calendar.year_entered", f"calendar:{year}", admin.officer_id, note=note)
        _recompute_provisional(session, admin)


def _recompute_provisional(session: Session, admin: Principal) -> None:
    """Open cases whose deadline was provisional get it again from the current table."""
    calendar = load(session)
    for case in session.exec(select(Case).where(Case.deadline_provisional == True,  # noqa: E712
                                                Case.state == "accepted")):
        item = session.get(Item, case.item_id)
        accepted_on = case.accepted_at.astimezone(clock.BEIJING).date()
        new, provisional = calendar.add_workdays(accepted_on, item.promised_limit_days)
        if (new, provisional) != (case.deadline, case.deadline_provisional):
            audit.record(session, "case.deadline_recomputed", f"case:{case.id}", admin.officer_id,
                         old=case.deadline.isoformat() if case.deadline else None, new=new.isoformat(),
                         provisional=provisional)
            case.deadline, case.deadline_provisional = new, provisional
            session.add(case)


def years_needing_data(session: Session, today: date) -> list[int]:
    """This year and next, when neither the package nor the admins have them."""
    entered = {y.year for y in session.exec(select(CalendarYear))}
    return [y for y in (today.year, today.year + 1) if not package_knows(y) and y not in entered]


def overview(principal: Principal, year: int) -> tuple[list[CalendarEntry], list[int], bool]:
    principal.require(ADMIN)
    with transaction() as session:
        entries = list(session.exec(select(CalendarEntry).where(CalendarEntry.day >= date(year, 1, 1),
                                                                CalendarEntry.day <= date(year, 12, 31))
                                    .order_by(CalendarEntry.day, CalendarEntry.created_at)))
        entered = session.exec(select(CalendarYear).where(CalendarYear.year == year)).first() is not None
        return entries, years_needing_data(session, clock.today()), entered or package_knows(year)
