"""GET /api/health through the real ASGI layer: each check ok or a short reason, 200 only when all
are ok, no secrets; a killed renderer process is replaced."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
from pathlib import Path

import pytest

from app import health, storage
from app.http import security_layer
from app.signing import renderer

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


async def _inner(scope, receive, send):  # Reflex's app: never reached by /api/health
    raise AssertionError("health must not reach the app")


def get(path: str = "/api/health", method: str = "GET") -> tuple[int, dict, dict | None]:
    async def call():
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await security_layer(_inner)({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
        return sent

    health._last = None  # the one-second cache
    sent = asyncio.run(call())
    headers = dict(sent[0]["headers"])
    body = sent[1]["body"]
    return sent[0]["status"], headers, json.loads(body) if body else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def no_redis(monkeypatch):
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    health._redis_client.cache_clear()
    yield
    health._redis_client.cache_clear()


def test_all_ok_without_redis(db, no_redis):
    status, headers, body = get()
    assert status == 200, body
    assert body == {"database": "ok", "redis": "not configured", "renderer": "ok", "storage": "ok"}
    assert headers[b"content-type"] == b"application/json" and headers[b"cache-control"] == b"no-store"
    assert headers[b"x-frame-options"] == b"DENY"  # the security headers stay
    assert get(method="HEAD")[0] == 200 and get(method="POST")[0] == 405


def test_redis_ok_and_unreachable(db, monkeypatch):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at " + REDIS_URL)
    monkeypatch.setenv("REFLEX_REDIS_URL", REDIS_URL)
    health._redis_client.cache_clear()
    assert get() [2]["redis"] == "ok"
    monkeypatch.setenv("REFLEX_REDIS_URL", f"redis://:hunter2secret@127.0.0.1:{free_port()}/5")
    health._redis_client.cache_clear()
    status, _, body = get()
    health._redis_client.cache_clear()
    assert status == 503 and body["redis"] == "error: ConnectionError" and body["database"] == "ok"
    assert "hunter2secret" not in json.dumps(body) and "127.0.0.1" not in json.dumps(body)


def test_database_down_or_behind_the_schema(db, no_redis, monkeypatch):
    from sqlalchemy import create_engine

    import app.db
    import app.migrate

    down = create_engine(f"postgresql+psycopg://approval:s3cretpw@127.0.0.1:{free_port()}/nodb")
    monkeypatch.setattr(app.db, "get_engine", lambda url=None: down)
    status, _, body = get()
    assert status == 503 and body["database"] == "error: OperationalError", body
    assert "s3cretpw" not in json.dumps(body) and "approval" not in json.dumps(body)
    monkeypatch.undo()
    monkeypatch.delenv("REFLEX_REDIS_URL", raising=False)
    monkeypatch.setattr(app.migrate, "head_revision", lambda: "9999")
    status, _, body = get()
    assert status == 503 and body["database"].startswith("error: schema ") and "expected 9999" in body["database"]


def test_storage_unwritable(db, no_redis, monkeypatch):
    monkeypatch.setattr(storage, "_override", storage.LocalStore(Path("/etc/hostname/not-a-folder")))
    status, _, body = get()
    assert status == 503 and body["storage"].startswith("error: ") and body["database"] == "ok"
    monkeypatch.setattr(storage, "_override", storage.DatabaseStore())
    assert get()[2]["storage"] == "ok"


def test_a_killed_renderer_process_is_replaced(db, no_redis):
    renderer.warm_up()
    pids = list(renderer._get_pool()._processes)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    status, _, body = get()  # the broken pool is noticed and replaced
    if body["renderer"] != "ok":  # the kill may be noticed by this first no-op: the next check has a new one
        status, _, body = get()
    assert status == 200 and body["renderer"] == "ok", body
    assert renderer.render_pdf("<p>测试</p>").startswith(b"%PDF")


def test_renderer_timeout_is_reported(db, no_redis, monkeypatch):
    def stuck(timeout):
        raise TimeoutError

    monkeypatch.setattr(renderer, "health", stuck)
    status, _, body = get()
    assert status == 503 and body["renderer"] == "error: timeout"
