"""Bring the database to the newest schema with Alembic (a separate step before serving)."""

from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT, settings


def upgrade(db_url: str | None = None) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["db_url"] = db_url or settings.db_url
    command.upgrade(cfg, "head")


def head_revision() -> str:
    """The newest schema revision this code knows (a backup must match it to be restored)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini"))).get_current_head()
