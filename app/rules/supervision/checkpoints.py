"""Signed checkpoints of the audit log (notes/audit-log.md §3): the bureau's signing key signs the
log's head — size, hash of the last event, time — every hour and every 1,000 events. Each one is
stored in the database and written as a file outside it (APP_DATA_DIR/checkpoints/), so a DBA who
rewrites history and recomputes every hash still contradicts a signature he cannot make.

`python -m app.cli audit verify` checks the chain and every checkpoint, from the database and from
the files."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Optional

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from sqlmodel import Session, select

from app.config import settings
from app.db import transaction
from app.models import AuditCheckpoint, AuditEvent
from app.models.base import utcnow
from app.rules import audit
from app.rules.canonical import canonical_json
from app.rules.principal import Principal
from app.rules.people.roles import AUDITOR
from app.signing.pki import bureau

EVERY_EVENTS = 1_000
EVERY = timedelta(hours=1)
FORMAT = "zd-independent-approval/audit-checkpoint/v1"


def checkpoint_dir() -> Path:
    return settings.data_dir / "checkpoints"


def body(size: int, head: str, at: str) -> bytes:
    """The signed bytes: canonical JSON of the log's origin, size, head hash and time."""
    return canonical_json({"format": FORMAT, "log": f"{settings.origin}/audit-log", "size": size,
                           "head": head, "at": at})


def _sign(session: Session, last: AuditEvent) -> AuditCheckpoint:
    signer = bureau()
    at = utcnow().isoformat()
    signed = body(last.seq, last.hash, at)
    signature = signer.key.sign(signed, ec.ECDSA(hashes.SHA256()))
    row = AuditCheckpoint(size=last.seq, head=last.hash, at=at, signature=signature,
                          certificate=signer.certificate_der)
    session.add(row)
    session.flush()
    _write_file(row)
    return row


def _write_file(row: AuditCheckpoint) -> None:
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{row.size:012d}.json").write_text(json.dumps(as_document(row), ensure_ascii=False, indent=1))


def as_document(row: AuditCheckpoint) -> dict:
    """The checkpoint as a file an auditor keeps: body fields, signature, signing certificate."""
    return {**json.loads(body(row.size, row.head, row.at)), "signature": base64.b64encode(row.signature).decode(),
            "certificate": base64.b64encode(row.certificate).decode()}


def maybe_checkpoint(session: Session, last: AuditEvent) -> Optional[AuditCheckpoint]:
    """Inside the transaction that appended `last` (the chain lock is held): sign when the log
    reached a multiple of 1,000 events, or the newest checkpoint is an hour old."""
    if last.seq % EVERY_EVENTS == 0:
        return _sign(session, last)
    return None


def hourly() -> Optional[AuditCheckpoint]:
    """Called periodically by the app: a checkpoint when the newest is an hour old and the log grew."""
    return _checkpoint(EVERY)


def sign_now() -> Optional[AuditCheckpoint]:
    return _checkpoint(timedelta(0))


def _checkpoint(min_age: timedelta) -> Optional[AuditCheckpoint]:
    with transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.exec(text(f"SELECT pg_advisory_xact_lock({audit.CHAIN_LOCK})"))
        last = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
        newest = session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.size.desc()).limit(1)).first()
        if last is None or (newest is not None and (newest.size == last.seq or
                                                    utcnow() - newest.created_at < min_age)):
            return None
        return _sign(session, last)


@dataclass
class Report:
    chain_ok: bool
    first_bad_seq: Optional[int]
    checkpoints: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return self.chain_ok and not self.problems


def _verify_document(document: dict, hashes_by_seq: dict[int, str], trusted: x509.Certificate) -> Optional[str]:
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(document["certificate"]))
        certificate.verify_directly_issued_by(trusted) if certificate != trusted else None
        signed = body(document["size"], document["head"], document["at"])
        certificate.public_key().verify(base64.b64decode(document["signature"]), signed, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, KeyError, ValueError, TypeError) as exc:
        return f"检查点 {document.get('size')} 签名无效（{type(exc).__name__}）"
    if hashes_by_seq.get(document["size"]) != document["head"]:
        return f"检查点 {document['size']} 与日志不符：第 {document['size']} 条事件的哈希已被改写"
    return None


def verify_all() -> Report:
    """The chain, then every checkpoint in the database and in the checkpoint folder."""
    signer = bureau()
    with transaction() as session:
        events = list(session.exec(select(AuditEvent).order_by(AuditEvent.seq)))
        rows = list(session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.size)))
    chain_ok, first_bad = audit.verify_events(events)
    hashes_by_seq = {e.seq: e.hash for e in events}
    documents = [as_document(r) for r in rows]
    files = sorted(checkpoint_dir().glob("*.json")) if checkpoint_dir().is_dir() else []
    documents += [json.loads(f.read_text()) for f in files]
    problems = [p for p in (_verify_document(d, hashes_by_seq, signer.root) for d in documents) if p]
    if len(files) < len(rows):
        problems.append(f"检查点文件缺失：数据库有 {len(rows)} 个，文件夹只有 {len(files)} 个")
    return Report(chain_ok, first_bad, len(documents), sorted(set(problems)))


def export(principal: Principal) -> bytes:
    """Auditors only: every checkpoint (body, signature, certificate), oldest first; audited."""
    principal.require(AUDITOR)
    with transaction() as session:
        rows = list(session.exec(select(AuditCheckpoint).order_by(AuditCheckpoint.size, AuditCheckpoint.id)))
        audit.record(session, "audit.checkpoints_downloaded", "audit_checkpoint", principal.officer_id, count=len(rows))
    return json.dumps([as_document(r) for r in rows], ensure_ascii=False, indent=1).encode()
