"""Shared by the supervision rules (return visits, assessments, responsibility, dashboard): who
may look, and the Beijing-date windows that periods of decisions are counted in."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from app.rules.calendar import clock
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.people.roles import ADMIN, AUDITOR, ROLE_NAMES


def require_any(principal: Principal, *roles: str) -> Principal:
    """The principal holds at least one of the roles (auditors and the working group both supervise)."""
    if not any(r in principal.roles for r in roles):
        raise refuse("role.denied", "无权操作：此功能仅限" + "或".join(ROLE_NAMES[r] for r in roles))
    return principal


def require_supervisor(principal: Principal) -> Principal:
    return require_any(principal, AUDITOR, ADMIN)


def utc_window(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the Beijing days first … last."""
    start = datetime.combine(first, time.min, clock.BEIJING).astimezone(timezone.utc)
    end = datetime.combine(last + timedelta(days=1), time.min, clock.BEIJING).astimezone(timezone.utc)
    return start, end


def beijing_date(at: datetime) -> date:
    return at.astimezone(clock.BEIJING).date()


def percent(part: int, whole: int) -> str:
    """"87.5%", or "—" when there is nothing to count (never a made-up 0% or 100%)."""
    return f"{part * 100 / whole:.1f}%" if whole else "—"
