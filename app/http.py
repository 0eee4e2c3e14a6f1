"""The HTTP routes the app adds, and the headers every response carries.

Wrapped around Reflex's whole ASGI app (frontend files, /ping, the socket's HTTP fallback):
- every HTTP response gets anti-framing and no-sniff headers (docs/security.md);
- GET /api/health reports database, Redis, renderer and file store (app/health.py);
- POST /api/session trades a one-time bind ticket (sent over the tab's socket after sign-in) for
  the session's HttpOnly cookie, so the session needs a secret that never appears in a URL;
- GET /api/exports/<token> hands over an export too large for the socket (an auditor's ZIP of
  decisions or Excel list) once: the one-time token the page was given plus the session cookie of
  the officer it was issued to (app/rules/supervision/exports.py); audited before the first byte is sent."""

from __future__ import annotations

import asyncio
import html
import json
import logging

from urllib.parse import quote

from app.config import settings
from app.rules.supervision import exports
from app.rules.people import sessions
from app.rules.errors import Refused

log = logging.getLogger(__name__)

BIND_PATH = "/api/session"
EXPORT_PREFIX = "/api/exports/"
HEALTH_PATH = "/api/health"
SECURITY_HEADERS = [
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_HEADER_NAMES = {name for name, _ in SECURITY_HEADERS}
MAX_BODY = 200


async def _read_body(receive, limit: int) -> bytes | None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body


def _cookie(name: str, value: str) -> bytes:
    secure = "; Secure" if settings.origin.startswith("https://") else ""
    return (f"{name}={value}; Path=/; HttpOnly; SameSite=Strict; "
            f"Max-Age={settings.session_max_hours * 3600}{secure}").encode()


async def _bind(scope, receive, send) -> None:
    headers = dict(scope.get("headers") or [])
    status, extra = 403, []
    origin_ok = headers.get(b"origin", b"").decode("latin-1") == settings.origin
    if scope["method"] == "POST" and origin_ok:
        body = await _read_body(receive, MAX_BODY)
        try:
            name, secret = await asyncio.to_thread(sessions.bind, (body or b"").decode("ascii", "replace"))
            status, extra = 204, [(b"set-cookie", _cookie(name, secret)), (b"cache-control", b"no-store")]
        except Refused as exc:
            log.warning("session bind refused: %s", exc.code)
    elif not origin_ok:
        log.warning("session bind refused: origin %r", headers.get(b"origin"))
    await send({"type": "http.response.start", "status": status, "headers": SECURITY_HEADERS + extra})
    await send({"type": "http.response.body", "body": b""})


def _content_disposition(filename: str) -> bytes:
    """attachment with an ASCII fallback name and the real (Chinese) one per RFC 6266 / 5987."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}".encode("ascii")


async def _export(scope, receive, send) -> None:
    headers = dict(scope.get("headers") or [])
    token = scope["path"][len(EXPORT_PREFIX):]
    delivery = None
    if scope["method"] == "GET":
        try:
            delivery = await asyncio.to_thread(exports.redeem, token, headers.get(b"cookie", b"").decode("latin-1"))
        except Refused as exc:
            log.warning("export download refused: %s", exc.code)
            message = exc.message
    else:
        message = "请使用评查页面的下载按钮"
    if delivery is None:
        body = f"<!doctype html><meta charset=utf-8><title>无法下载</title><p>{html.escape(message)}</p>".encode()
        await send({"type": "http.response.start", "status": 403, "headers": SECURITY_HEADERS + [
            (b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    with open(delivery.path, "rb") as fh:  # a chunk at a time: memory stays flat for any size
        await send({"type": "http.response.start", "status": 200, "headers": SECURITY_HEADERS + [
            (b"content-type", delivery.mime_type.encode()), (b"content-length", str(delivery.size).encode()),
            (b"content-disposition", _content_disposition(delivery.filename)), (b"cache-control", b"no-store")]})
        while chunk := await asyncio.to_thread(fh.read, exports.CHUNK):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
async def _health(scope, receive, send) -> None:
    """200 when every check is ok (Redis may be "not configured"), else 503; JSON, never cached."""
    from app import health

    if scope["method"] not in ("GET", "HEAD"):
        status, body = 405, b""
    else:
        result = await health.report()
        status = 200 if health.healthy(result) else 503
        body = json.dumps(result, ensure_ascii=False).encode()
    headers = SECURITY_HEADERS + [(b"content-type", b"application/json"), (b"cache-control", b"no-store"),
                                  (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body if scope["method"] != "HEAD" else b""})


def security_layer(app):
    """ASGI middleware for rx.App(api_transformer=...)."""

    async def asgi(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if scope["path"] == BIND_PATH:
            return await _bind(scope, receive, send)
        if scope["path"].startswith(EXPORT_PREFIX):
            return await _export(scope, receive, send)
        if scope["path"] == HEALTH_PATH:
            return await _health(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [h for h in message.get("headers", []) if h[0].lower() not in _HEADER_NAMES]
                message = {**message, "headers": kept + SECURITY_HEADERS}
            await send(message)

        return await app(scope, receive, send_with_headers)

    return asgi
