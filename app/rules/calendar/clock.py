"""The bureau's clock: stored times are UTC; dates and displayed times are Beijing time, so an
authorization or a deadline never turns over at 08:00 local time."""

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def now_beijing() -> datetime:
    return datetime.now(BEIJING)


def today() -> date:
    return now_beijing().date()


def local(dt: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.astimezone(BEIJING).strftime(fmt)
