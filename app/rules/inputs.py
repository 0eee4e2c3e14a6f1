"""Checks for values that come from a client: in Reflex any handler receives whatever was sent."""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

from app.rules.errors import refuse


def record_id(value: Any) -> int:
    """A database id: an int, and not a bool (True == 1 in Python)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise refuse("input.invalid", "参数无效")
    return value


def reason(value: Any, message: str = "请填写原因") -> str:
    """A required free-text reason, trimmed to 500 characters."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise refuse("input.reason_missing", message)
    return text[:500]


def day(value: Any, label: str, required: bool = True) -> Optional[date]:
    if value in (None, "") and not required:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise refuse("input.invalid_date", f"{label}须为日期（如 2024-09-01）")
