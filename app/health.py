"""GET /api/health: database, Redis, PDF renderer and file store, each "ok" or "error: <reason>".

For load balancers and the operator (README, Production). The reasons are short and name no host,
user or password: an exception's class, a timeout, or a schema revision. One check runs at a
time per worker and its result is reused for a second, so the endpoint cannot be used to load
the database or the disk."""

from __future__ import annotations

import asyncio
import os
import time
from functools import lru_cache

from sqlalchemy import text

CHECK_TIMEOUT_SECONDS = 5.0
CACHE_SECONDS = 1.0
NOT_CONFIGURED = "not configured"

_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
_last: tuple[float, dict[str, str]] | None = None


class Problem(Exception):
    """A reason worded here (never a driver's message, which may name hosts or users)."""


def _database() -> None:
    from app.db import get_engine
    from app.migrate import head_revision

    with get_engine().connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision != head_revision():
        raise Problem(f"schema {revision}, expected {head_revision()} (run: python -m app.cli migrate)")


@lru_cache(maxsize=1)
def _redis_client():
    import redis

    return redis.Redis.from_url(os.environ["REFLEX_REDIS_URL"], socket_timeout=2, socket_connect_timeout=2)


def _redis() -> None:
    if not _redis_client().ping():
        raise Problem("no PONG")


def _renderer() -> None:
    from app.signing import renderer

    renderer.health(CHECK_TIMEOUT_SECONDS)


def _storage() -> None:
    from app import storage

    storage.store().check()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "error: timeout"
    if isinstance(exc, Problem):
        return f"error: {exc.args[0]}"
    return f"error: {type(exc).__name__}"


async def _run(check) -> str:
    try:
        await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT_SECONDS + 1)
        return "ok"
    except Exception as exc:  # noqa: BLE001 — every failure is a report, never a crash
        return _reason(exc)


async def report() -> dict[str, str]:
    """{database, redis, renderer, storage} → "ok" | "not configured" (Redis only) | "error: …"."""
    global _lock, _last
    loop = asyncio.get_running_loop()
    if _lock is None or _lock[0] is not loop:
        _lock = (loop, asyncio.Lock())
    async with _lock[1]:
        if _last is not None and time.monotonic() - _last[0] < CACHE_SECONDS:
            return _last[1]
        database, redis, renderer, storage = await asyncio.gather(
            _run(_database),
            _run(_redis) if os.environ.get("REFLEX_REDIS_URL") else asyncio.sleep(0, NOT_CONFIGURED),
            _run(_renderer), _run(_storage))
        result = {"database": database, "redis": redis, "renderer": renderer, "storage": storage}
        _last = (time.monotonic(), result)
        return result


def healthy(result: dict[str, str]) -> bool:
    return all(v in ("ok", NOT_CONFIGURED) for v in result.values())
