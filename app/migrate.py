"""Bring the database to the newest schema with Alembic (a separate step before serving)."""

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT, settings


def upgrade(db_url: str | None = None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["db_url"] = db_url or settings.db_url
    command.upgrade(cfg, "head")
