"""Online backup and restore into an empty install, for SQLite and PostgreSQL alike.

The archive is a tar: manifest.json (schema revision, per-table row counts, SHA-256 of every
member), db/<table>.jsonl (rows in primary-key order, typed), the decision PDFs of a local file
store (in the database store they are rows of stored_file) and the data folder's audit
checkpoints, CRL and bureau certificates (their private keys stay encrypted, as on disk).
The personal-data key is stored encrypted under the PKI passphrase, so the archive holds no
plaintext key; restoring needs that passphrase (APP_PKI_PASSPHRASE or its file)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import Date, DateTime, LargeBinary, create_engine, insert, select, text
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table on the metadata)
from app import storage
from app.config import settings
from app.db import get_engine
from app.migrate import head_revision, upgrade
from app.rules.errors import refuse
from app.signing import pki

FORMAT = "zd-independent-approval/backup/v1"
FOLDERS = ("checkpoints", "crl", "pki")  # under APP_DATA_DIR; decision PDFs come from the file store
PERSONAL_KEY = "personal-data.key"


def _tables():
    return SQLModel.metadata.sorted_tables  # parents before children


def _encode(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, LargeBinary):
        return base64.b64decode(value["b64"])
    if isinstance(column.type, DateTime) or getattr(column.type, "impl", None).__class__ is DateTime:
        return datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return date.fromisoformat(value)
    return value


def _fernet(salt: bytes) -> Fernet:
    key = Scrypt(salt=salt, length=32, n=2 ** 15, r=8, p=1).derive(pki.passphrase())
    return Fernet(base64.urlsafe_b64encode(key))


def _add(tar: tarfile.TarFile, name: str, data: bytes, digests: dict) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))
    digests[name] = hashlib.sha256(data).hexdigest()


@contextmanager
def _snapshot():
    """A connection that sees one consistent state of every table while the app keeps writing:
    PostgreSQL's repeatable-read snapshot; for SQLite, a page copy made with its online backup API
    (readers and writers go on meanwhile), read through an engine of its own."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            yield conn
            conn.rollback()
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "snapshot.db"
        source = sqlite3.connect(engine.url.database)
        target = sqlite3.connect(copy)
        with source, target:
            source.backup(target)
        source.close()
        target.close()
        snapshot = create_engine(f"sqlite:///{copy}")
        with snapshot.connect() as conn:
            yield conn
        snapshot.dispose()


def backup(path: Path) -> str:
    digests: dict[str, str] = {}
    counts: dict[str, int] = {}
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tarfile.open(tmp, "w") as tar, _snapshot() as conn:
        for table in _tables():
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            lines = [json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False) for row in rows]
            _add(tar, f"db/{table.name}.jsonl", "\n".join(lines).encode(), digests)
            counts[table.name] = len(rows)
        for folder in FOLDERS:
            for file in sorted((settings.data_dir / folder).rglob("*")) if (settings.data_dir / folder).is_dir() else []:
                if file.is_file() and not file.name.endswith(".tmp"):
                    _add(tar, f"files/{file.relative_to(settings.data_dir).as_posix()}", file.read_bytes(), digests)
        store = storage.store()
        if store.name == "local":  # in the database store they are rows of stored_file, dumped above
            for entry in sorted(store.list("pdfs"), key=lambda e: e.key):
                _add(tar, f"files/{entry.key}", store.get(entry.key), digests)
        personal = settings.data_dir / PERSONAL_KEY
        if personal.exists():
            salt = os.urandom(16)
            _add(tar, "secrets/personal-data.key.enc", salt + _fernet(salt).encrypt(personal.read_bytes()), digests)
        manifest = {"format": FORMAT, "created_at": datetime.now().astimezone().isoformat(),
                    "schema_revision": head_revision(), "tables": counts, "sha256": digests}
        _add(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode(), {})
    os.replace(tmp, path)
    return f"已备份：{sum(counts.values())} 行数据，{sum(1 for n in digests if n.startswith('files/'))} 个文件 → {path}"


def restore(path: Path) -> str:
    """Into an empty install only: the schema is brought to head, every table must be empty."""
    with tarfile.open(path, "r") as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}
        read = lambda name: tar.extractfile(members[name]).read()  # noqa: E731
        if "manifest.json" not in members:
            raise refuse("restore.not_a_backup", "不是本系统的备份文件")
        manifest = json.loads(read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise refuse("restore.not_a_backup", "不是本系统的备份文件")
        for name, digest in manifest["sha256"].items():
            if name not in members or hashlib.sha256(read(name)).hexdigest() != digest:
                raise refuse("restore.corrupt", f"备份文件已损坏：{name}")
        upgrade()
        if manifest["schema_revision"] != head_revision():
            raise refuse("restore.schema", f"备份的数据库版本 {manifest['schema_revision']} 与本系统 {head_revision()} 不符")
        engine = get_engine()
        with engine.begin() as conn:
            for table in _tables():
                if conn.execute(select(table).limit(1)).first() is not None:
                    raise refuse("restore.not_empty", f"目标系统不是空的（{table.name} 已有数据），只能恢复到新安装")
            for table in _tables():
                raw = read(f"db/{table.name}.jsonl").decode()
                rows = [{k: _decode(table.c[k], v) for k, v in json.loads(line).items()} for line in raw.splitlines()]
                if rows:
                    conn.execute(insert(table), rows)
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn)
        for name in members:
            if name.startswith("files/pdfs/"):  # into the configured file store
                try:
                    storage.store().put(name[len("files/"):], read(name))
                except ValueError:
                    raise refuse("restore.corrupt", f"备份文件中有越界路径：{name}")
            elif name.startswith("files/"):
                target = settings.data_dir / name[len("files/"):]
                if not target.resolve().is_relative_to(settings.data_dir.resolve()):
                    raise refuse("restore.corrupt", f"备份文件中有越界路径：{name}")
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                target.write_bytes(read(name))
        if "secrets/personal-data.key.enc" in members:
            blob = read("secrets/personal-data.key.enc")
            key_file = settings.data_dir / PERSONAL_KEY
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(_fernet(blob[:16]).decrypt(blob[16:]))
    return f"已恢复：{sum(manifest['tables'].values())} 行数据"


def _reset_sequences(conn) -> None:
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is not False and isinstance(column.type.python_type, type) and \
                    column.type.python_type is int:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                                  f"COALESCE((SELECT MAX(\"{column.name}\") FROM \"{table.name}\"), 0) + 1, false)"))
