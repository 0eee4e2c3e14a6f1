"""Every test run gets its own data folder and a freshly migrated database.

TEST_DB_URL selects PostgreSQL (the schema is dropped and re-created); default is SQLite."""

from __future__ import annotations

import os
import shutil
import tempfile

_DATA = tempfile.mkdtemp(prefix="approval-test-")
os.environ["APP_DATA_DIR"] = _DATA
# The browser tests serve the app here; the rules in this process must agree with it.
os.environ["APP_ORIGIN"] = f"http://localhost:{os.environ.get('TEST_APP_PORT', '3123')}"
if os.environ.get("TEST_DB_URL"):
    os.environ["REFLEX_DB_URL"] = os.environ["TEST_DB_URL"]
else:
    os.environ.pop("REFLEX_DB_URL", None)

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.signing import pki  # noqa: E402

pki.init_test_pki()  # the bureau's test certificates in this run's data folder


def _reset_database() -> None:
    from app.config import settings
    from app.db import get_engine
    from app.migrate import upgrade

    if settings.db_url.startswith("postgresql"):
        with get_engine().begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db_file = settings.data_dir / "app.db"
        get_engine().dispose()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{db_file}{suffix}"):
                os.remove(f"{db_file}{suffix}")
    upgrade()
    # Files that belong to the database just dropped: its checkpoints and revocation lists.
    for folder in ("checkpoints", "crl"):
        shutil.rmtree(settings.data_dir / folder, ignore_errors=True)


@pytest.fixture()
def db():
    """A migrated, empty database with the demo data loaded."""
    from app.demo import load_demo_data
    from app.rules import ratelimit

    _reset_database()
    ratelimit.reset()
    load_demo_data()
    yield


def pytest_sessionfinish(session, exitstatus):
    from app.signing import renderer

    renderer.shutdown()
