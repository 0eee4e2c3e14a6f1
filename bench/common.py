"""Shared set-up for the benchmarks: a fresh data folder and database with the demo data."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def fresh_database(db_url: str | None) -> str:
    """Point the app at a new data folder (and db_url, whose schema is dropped), migrate, load the
    demo data. Returns the database's name for the report."""
    os.environ["APP_DATA_DIR"] = tempfile.mkdtemp(prefix="approval-bench-")
    if db_url:
        os.environ["TEST_DB_URL"] = db_url  # tests/conftest.py applies it (and drops its schema)
    from tests.conftest import _reset_database  # noqa: E402  (after the environment is set)

    from app.demo import load_demo_data

    _reset_database()
    load_demo_data()
    return "PostgreSQL" if db_url else "SQLite"


def summary(times_ms: list[float]) -> tuple[float, float, float]:
    """(median, p95, max)."""
    ordered = sorted(times_ms)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)], ordered[-1]
