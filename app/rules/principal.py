"""The signed-in officer as every rule sees it, and the role check each rule starts with."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.errors import refuse
from app.rules.people.roles import ROLE_NAMES


@dataclass(frozen=True)
class Principal:
    session_id: str
    officer_id: int
    key_id: int
    name: str
    staff_no: str
    roles: tuple[str, ...]

    def require(self, role: str) -> "Principal":
        if role not in self.roles:
            raise refuse("role.denied", f"无权操作：此功能仅限{ROLE_NAMES[role]}")
        return self
