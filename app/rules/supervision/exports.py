"""Files too large for the socket (an Excel list, a ZIP of decisions: up to hundreds of MB; the
socket carries about 1 MB a message), handed over once over plain HTTP (app/http.py).

A file is written to APP_DATA_DIR/exports/ under a random id with a small JSON record of who made
it (officer and session), what it is, its SHA-256 and the audit action to write when it is handed
over. The page then asks for a download link: a one-time token (32 random bytes; only its SHA-256
is stored, as a file under exports/tokens/ so that every worker of the host sees it) valid for
TOKEN_TTL_SECONDS, for that officer's session only. `GET /api/exports/<token>` claims the token
(an atomic rename: one request wins), checks the browser's HttpOnly session cookie against the
session the token was issued to, the officer and the role, the file's SHA-256, writes the audit
event, and only then streams the file. A token is spent by any attempt; the page can ask for a new
one while the file is kept (FILE_TTL_SECONDS). Files past that age are removed: they are copies of
records kept in the database and the PDF store, never the records themselves."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import settings
from app.db import transaction
from app.rules import audit
from app.rules.people import sessions
from app.rules.errors import Refused, refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals

TOKEN_TTL_SECONDS = 60
FILE_TTL_SECONDS = 2 * 3600
CHUNK = 1024 * 1024
_FILE_ID = re.compile(r"^[0-9a-f]{32}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
INVALID_LINK = ("decision.export_link_invalid", "下载链接无效、已使用或已过期：请回到评查页面重新点击下载")


@dataclass(frozen=True)
class Prepared:
    file_id: str
    filename: str
    mime_type: str
    sha256: str
    size: int
    count: int


@dataclass(frozen=True)
class Delivery:
    path: Path
    filename: str
    mime_type: str
    size: int
    sha256: str
    details: dict = field(default_factory=dict)


def export_dir() -> Path:
    return settings.data_dir / "exports"


def _token_dir() -> Path:
    return export_dir() / "tokens"


def _meta_path(file_id: str) -> Path:
    return export_dir() / f"{file_id}.json"


def sweep(now: float | None = None) -> int:
    """Remove export files, records and tokens past their age; returns how many went."""
    now = now or time.time()
    removed = 0
    for folder, ttl in ((export_dir(), FILE_TTL_SECONDS), (_token_dir(), TOKEN_TTL_SECONDS * 10)):
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            try:
                if path.is_file() and now - path.stat().st_mtime > ttl:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another worker's sweep was first
                pass
    return removed


def new_file(suffix: str) -> tuple[str, Path]:
    """A fresh id and the path to write the file to (renamed into place by finish())."""
    sweep()
    _token_dir().mkdir(parents=True, exist_ok=True)
    file_id = secrets.token_hex(16)
    return file_id, export_dir() / f"{file_id}{suffix}.part"


def sha256_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def finish(principal: Principal, file_id: str, part: Path, *, filename: str, mime_type: str, count: int,
           action: str, details: dict, role: str = "auditor") -> Prepared:
    """The written file, put in place with its record: who may take it and what to audit then."""
    sha, size = sha256_file(part)
    final = part.with_name(part.name.removesuffix(".part"))
    os.replace(part, final)
    meta = {"file": final.name, "officer_id": principal.officer_id, "session_id": principal.session_id,
            "role": role, "filename": filename, "mime_type": mime_type, "sha256": sha, "size": size,
            "count": count, "action": action, "details": details, "created": time.time()}
    _meta_path(file_id).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Prepared(file_id, filename, mime_type, sha, size, count)


def discard(part: Path) -> None:
    part.unlink(missing_ok=True)


def _meta(file_id: Any) -> dict | None:
    if not isinstance(file_id, str) or not _FILE_ID.match(file_id):
        return None
    try:
        meta = json.loads(_meta_path(file_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if time.time() - meta.get("created", 0) > FILE_TTL_SECONDS or not (export_dir() / meta["file"]).is_file():
        return None
    return meta


def issue_token(principal: Principal, file_id: Any) -> str:
    """A one-time download link token for a file this officer made in this session."""
    meta = _meta(file_id)
    if meta is None or meta["officer_id"] != principal.officer_id or meta["session_id"] != principal.session_id:
        raise refuse("export.gone", "文件已过期或不存在，请重新生成")
    principal.require(meta["role"])
    token = secrets.token_urlsafe(32)
    record = {"file_id": file_id, "session_id": principal.session_id, "officer_id": principal.officer_id,
              "expires": time.time() + TOKEN_TTL_SECONDS}
    _token_dir().mkdir(parents=True, exist_ok=True)
    path = _token_dir() / f"{_sha256(token)}.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return token


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _claim(token: Any) -> dict:
    """The token's record, removed in the same step (a rename only one request can make)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise refuse(*INVALID_LINK)
    path = _token_dir() / f"{_sha256(token)}.json"
    claimed = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.claimed")
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        raise refuse(*INVALID_LINK)
    try:
        return json.loads(claimed.read_text(encoding="utf-8"))
    finally:
        claimed.unlink(missing_ok=True)


@audit_refusals("decision.export_download")
def redeem(token: Any, cookie_header: str) -> Delivery:
    """Spend a download token: the session it was issued to, proven by this browser's cookie, still
    signed in with the role; the file unchanged since it was written; audited before it is sent."""
    record = _claim(token)
    if time.time() > record.get("expires", 0):
        raise refuse(*INVALID_LINK)
    try:
        principal = sessions.current(record.get("session_id"), cookie_header=cookie_header or "")
    except Refused:
        raise refuse("decision.export_not_signed_in", "下载需要在登录本系统的浏览器中进行：请登录后回到评查页面重新下载")
    meta = _meta(record.get("file_id"))
    if meta is None or principal.officer_id != record.get("officer_id") or meta["officer_id"] != principal.officer_id:
        raise refuse(*INVALID_LINK)
    if meta["role"] not in principal.roles:
        raise refuse("decision.export_role", "无权下载：此文件仅限评查人员")
    path = export_dir() / meta["file"]
    sha, size = sha256_file(path)
    if sha != meta["sha256"]:
        raise refuse("decision.export_corrupt", "导出文件已被改动，未下载：请重新生成")
    with transaction() as session:
        audit.record(session, meta["action"], f"export:{sha}", principal.officer_id, count=meta["count"],
                     sha256=sha, size=size, filename=meta["filename"], **meta["details"])
    return Delivery(path, meta["filename"], meta["mime_type"], size, sha, meta["details"])
