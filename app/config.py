"""Settings, read from the environment only (documented in README.md).

Imports no Reflex: the rules, the signing code and the CLI use it too.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    db_url: str
    origin: str
    rp_id: str
    rp_name: str
    organ_name: str
    organ_credit_code: str  # 统一社会信用代码 of the organ, for 双公示 data
    reconsideration_body: str
    doc_number_pattern: str
    refusal_number_pattern: str
    not_accepted_number_pattern: str
    session_idle_minutes: int
    session_max_hours: int
    challenge_ttl_seconds: int
    enrollment_ttl_hours: int
    step_up_minutes: int
    signin_window_minutes: int
    signin_max_failures_per_client: int
    signin_max_failures_per_officer: int
    signin_max_begins_per_client: int
    file_store: str  # "local" (a folder, possibly shared) or "database" (table stored_file)
    file_store_dir: Path  # the folder of the local store

    @property
    def pdf_dir(self) -> Path:
        return self.file_store_dir / "pdfs"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _pattern(name: str, default: str) -> str:
    """A 文号 pattern: exactly the fields {year} and {seq}, each once — anything else would give
    duplicate or unreadable numbers, so the app refuses to start."""
    pattern = os.environ.get(name) or default
    fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    if sorted(fields) != ["seq", "year"]:
        raise ValueError(f"{name}={pattern!r}: a 文号 pattern needs {{year}} and {{seq}} exactly once each")
    return pattern


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("APP_DATA_DIR") or PROJECT_ROOT / "data").resolve()
    origin = os.environ.get("APP_ORIGIN", "http://localhost:3000").rstrip("/")
    return Settings(
        data_dir=data_dir,
        db_url=os.environ.get("REFLEX_DB_URL") or f"sqlite:///{data_dir / 'app.db'}",
        origin=origin,
        rp_id=os.environ.get("APP_RP_ID") or (urlsplit(origin).hostname or "localhost"),
        rp_name=os.environ.get("APP_RP_NAME", "独立审批系统"),
        organ_name=os.environ.get("APP_ORGAN_NAME", "淄博市张店区行政审批服务局"),
        organ_credit_code=os.environ.get("APP_ORGAN_CREDIT_CODE", "").strip().upper(),
        reconsideration_body=os.environ.get("APP_RECONSIDERATION_BODY", "淄博市张店区人民政府"),
        doc_number_pattern=_pattern("APP_DOC_NUMBER_PATTERN", "张行审许字〔{year}〕{seq}号"),
        refusal_number_pattern=_pattern("APP_REFUSAL_NUMBER_PATTERN", "张行审不许字〔{year}〕{seq}号"),
        not_accepted_number_pattern=_pattern("APP_NOT_ACCEPTED_NUMBER_PATTERN", "张行审不受字〔{year}〕{seq}号"),
        session_idle_minutes=_int("APP_SESSION_IDLE_MINUTES", 15),
        session_max_hours=_int("APP_SESSION_MAX_HOURS", 10),
        challenge_ttl_seconds=_int("APP_CHALLENGE_TTL_SECONDS", 120),
        enrollment_ttl_hours=_int("APP_ENROLLMENT_TTL_HOURS", 24),
        step_up_minutes=_int("APP_STEP_UP_MINUTES", 5),
        signin_window_minutes=_int("APP_SIGNIN_WINDOW_MINUTES", 15),
        signin_max_failures_per_client=_int("APP_SIGNIN_MAX_FAILURES_PER_CLIENT", 20),
        signin_max_failures_per_officer=_int("APP_SIGNIN_MAX_FAILURES_PER_OFFICER", 5),
        signin_max_begins_per_client=_int("APP_SIGNIN_MAX_BEGINS_PER_CLIENT", 60),
        file_store=(os.environ.get("APP_FILE_STORE") or "local").strip().lower(),
        file_store_dir=Path(os.environ.get("APP_FILE_STORE_DIR") or data_dir).resolve(),
    )


settings = load_settings()
