"""Stored files: sealed decision PDFs, signing drafts, quarantined orphans.

Every worker on every host must read what any worker wrote: a draft rendered at prepare on one
worker is signed at complete on another, and any worker serves any decision's PDF. Keys are
relative paths (`pdfs/<sha256>.pdf`, `drafts/<sha256>.pdf`, `orphans/<name>`); the backend is
chosen by APP_FILE_STORE:

- `local` (default): files under APP_FILE_STORE_DIR (default APP_DATA_DIR), the layout of earlier
  versions. Several hosts share it only if that folder is shared (NFS and the like). A file that
  belongs to a row is written (fsynced) before the row's transaction commits and removed again
  if it rolls back (`put(..., session=)` then `discard` on failure): never a row without its file;
  a process killed between the two leaves a file no row names, moved aside at start-up.
- `database`: the table `stored_file` in the app's own database (PostgreSQL in production). With
  `session=` the blob is a row of the caller's transaction: it commits or rolls back with the
  decision, so there is neither a row without its file nor a file without its row.

Notices (受理通知书 …) were already stored in their own `case_notice` row, and the bureau's keys,
certificates and the personal-data key are configuration each host is given (README, Production).

No Reflex import: the rules, the CLI and the tests use it."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from sqlalchemy import delete, update
from sqlmodel import Session, select

from app.config import settings
from app.rules.errors import refuse

BACKENDS = ("local", "database")
_KEY = re.compile(r"^(pdfs|drafts|orphans)/[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


@dataclass(frozen=True)
class Entry:
    key: str
    created_at: datetime


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key:
        raise ValueError(f"not a storage key: {key!r}")
    return key


def _write_failed(exc: OSError):
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return refuse("storage.full", "存储空间已满，文件未能保存，未记录任何内容，请联系系统管理员")
    return refuse("storage.write_failed", "文件未能保存（存储不可写），未记录任何内容，请联系系统管理员")


class LocalStore:
    """A folder (the default): APP_FILE_STORE_DIR/<key>."""

    name = "local"

    def __init__(self, root: Path):
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, *, session: Optional[Session] = None, durable: bool = True) -> None:
        """Atomically (temporary file, then rename). A draft need not survive a crash (the approver
        signs again), so `durable=False` skips the fsync the approver would wait for. `session` is
        accepted for the same call on both backends: the file is written now; the caller discards
        it if that transaction rolls back."""
        path = self.path(key)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                f.write(data)
                if durable:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise _write_failed(exc) from exc

    def discard(self, key: str) -> None:
        """Undo a `put(..., session=)` whose transaction did not commit."""
        self.path(key).unlink(missing_ok=True)

    def get(self, key: str, *, session: Optional[Session] = None) -> Optional[bytes]:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str, *, session: Optional[Session] = None) -> None:
        self.path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[Entry]:
        folder = self.root / prefix.rstrip("/")
        if not folder.is_dir():
            return []
        return [Entry(f"{prefix.rstrip('/')}/{p.name}", datetime.fromtimestamp(p.stat().st_mtime, timezone.utc))
                for p in folder.iterdir() if p.is_file() and not p.name.endswith(".tmp")]

    def move(self, key: str, new_key: str) -> None:
        target = self.path(new_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(key), target)

    def check(self) -> None:
        """Raises unless a file can be written and read back here."""
        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".health-{secrets.token_hex(4)}.tmp"
        try:
            probe.write_bytes(b"ok")
            if probe.read_bytes() != b"ok":
                raise OSError("read back differs")
        finally:
            probe.unlink(missing_ok=True)


class DatabaseStore:
    """The table stored_file in the app's database."""

    name = "database"

    def _table(self):
        from app.models import StoredFile

        return StoredFile

    def put(self, key: str, data: bytes, *, session: Optional[Session] = None, durable: bool = True) -> None:
        """With `session`: a row of that transaction (commits or rolls back with it). Without: in a
        transaction of its own. Keys are content-addressed: storing the same key twice keeps one."""
        from app.db import transaction

        StoredFile = self._table()
        digest = hashlib.sha256(data).hexdigest()
        if session is None:
            with transaction() as own:
                return self.put(key, data, session=own)
        existing = session.exec(select(StoredFile.sha256).where(StoredFile.key == _check_key(key))).first()
        if existing is not None:
            if existing != digest:
                raise refuse("storage.conflict", "同名文件内容不同，未保存任何内容")
            return
        session.add(StoredFile(key=key, data=bytes(data), sha256=digest))
        session.flush()

    def discard(self, key: str) -> None:
        """Nothing to undo: the row went with the rolled-back transaction."""

    def get(self, key: str, *, session: Optional[Session] = None) -> Optional[bytes]:
        from app.db import transaction

        StoredFile = self._table()
        if session is None:
            with transaction() as own:
                return self.get(key, session=own)
        row = session.exec(select(StoredFile.data, StoredFile.sha256).where(StoredFile.key == _check_key(key))).first()
        if row is None:
            return None
        data = bytes(row[0])
        if hashlib.sha256(data).hexdigest() != row[1]:
            raise refuse("storage.corrupt", "存储的文件与登记的摘要不符")
        return data

    def delete(self, key: str, *, session: Optional[Session] = None) -> None:
        from app.db import transaction

        StoredFile = self._table()
        if session is None:
            with transaction() as own:
                return self.delete(key, session=own)
        session.execute(delete(StoredFile).where(StoredFile.key == _check_key(key)))

    def list(self, prefix: str) -> list[Entry]:
        from app.db import transaction

        StoredFile = self._table()
        start = prefix.rstrip("/") + "/"
        with transaction() as session:
            rows = session.exec(select(StoredFile.key, StoredFile.created_at)
                                .where(StoredFile.key >= start, StoredFile.key < start[:-1] + "0")).all()
        return [Entry(k, c if c.tzinfo else c.replace(tzinfo=timezone.utc)) for k, c in rows]

    def move(self, key: str, new_key: str) -> None:
        from app.db import transaction

        StoredFile = self._table()
        with transaction() as session:
            session.execute(update(StoredFile).where(StoredFile.key == _check_key(key)).values(key=_check_key(new_key)))

    def check(self) -> None:
        from app.db import transaction

        with transaction() as session:
            session.exec(select(self._table().key).limit(1)).first()


_override: Optional[object] = None


def store() -> LocalStore | DatabaseStore:
    """The configured backend."""
    if _override is not None:
        return _override
    if settings.file_store == "database":
        return DatabaseStore()
    if settings.file_store == "local":
        return LocalStore(settings.file_store_dir)
    raise ValueError(f"APP_FILE_STORE must be one of {', '.join(BACKENDS)}, not {settings.file_store!r}")


def use(backend: Optional[str]) -> None:
    """Tests and tools: switch this process to a backend (None: back to the configuration)."""
    global _override
    _override = None if backend is None else (DatabaseStore() if backend == "database"
                                              else LocalStore(settings.file_store_dir))


def older_than(entry: Entry, seconds: float) -> bool:
    return time.time() - entry.created_at.timestamp() > seconds
