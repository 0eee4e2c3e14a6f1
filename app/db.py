"""Database engine and transactions (SQLite by default, PostgreSQL via REFLEX_DB_URL)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.config import settings
from app.rules.errors import refuse

log = logging.getLogger(__name__)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Autocommit at the driver level so that "begin" below controls transactions.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn):
            # A deferred read-then-write transaction can fail with SQLITE_BUSY whatever
            # the timeout; taking the write lock up front queues writers instead.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=None)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    """One engine (and pool) per URL for the whole process."""
    return _engine_for(url or settings.db_url)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits on success, rolls everything back on any error. A constraint that
    a concurrent writer won (unique number, duplicate key…) or a busy database is a refusal in
    Chinese, never a raw driver error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise refuse("db.conflict", "数据已被同时修改或重复提交，未保存任何内容，请刷新后重试") from exc
        except OperationalError as exc:
            _rollback_quietly(session)
            if _is_contention(exc):
                raise refuse("db.busy", "系统繁忙（数据正被他人同时修改），未保存任何内容，请稍后重试") from exc
            if _is_unavailable(exc):
                # The server went away (restart, network): the transaction is lost whole; the pool
                # reconnects (pre-ping) once it is back, without restarting the app.
                log.error("database unavailable: %s", type(exc.orig).__name__)
                raise refuse("db.unavailable", "数据库暂时无法连接，未保存任何内容，请稍后重试") from exc
            raise
        except BaseException:
            session.rollback()
            raise


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except Exception:  # noqa: BLE001 — a dead connection cannot roll back; the server already did
        log.warning("rollback failed on a lost connection")


def _is_unavailable(exc: OperationalError) -> bool:
    """PostgreSQL gone: no connection, a connection lost (SQLSTATE class 08), or the server
    shutting down (57P01-57P03)."""
    if exc.connection_invalidated:
        return True
    code = getattr(exc.orig, "sqlstate", None)
    if code is None:
        return type(exc.orig).__module__.startswith("psycopg")  # refused or reset before any SQLSTATE
    return code.startswith("08") or code in ("57P01", "57P02", "57P03")


def _is_contention(exc: OperationalError) -> bool:
    """SQLite's lock timeout, PostgreSQL's serialization failure or deadlock."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig)
