"""Issue 8.6 and 8.7: signed checkpoints of the audit log catch a rewritten history; a backup
restored into an empty install verifies, online and offline, and so does its audit log."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
import subprocess
import sys

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import text
from sqlmodel import select

from app.config import settings
from app.db import get_engine, transaction
from app.models import AuditCheckpoint, AuditEvent, Decision
from app.rules import audit
from app.rules.supervision import checkpoints
from app.rules.counter import decisions
from app.rules.counter import verification
from app.signing import pki, proof
from tests import flows
from tests.conftest import _reset_database


def _events(n: int) -> None:
    with transaction() as s:
        for i in range(n):
            audit.record(s, "test.event", f"x:{i}", None, n=i)


def test_every_thousand_events_and_on_demand_the_bureau_signs_the_head(db):
    with transaction() as s:
        start = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq
    _events(1000 - start % 1000)
    with transaction() as s:
        rows = s.exec(select(AuditCheckpoint)).all()
    assert [r.size for r in rows] == [1000]
    assert checkpoints.sign_now() is None  # nothing new since the last checkpoint
    _events(1)
    assert checkpoints.sign_now().size == 1001  # on demand (the app does it hourly)
    assert (checkpoints.checkpoint_dir() / f"{1000:012d}.json").exists()
    report = checkpoints.verify_all()
    assert report.ok and report.checkpoints >= 2, report
    document = json.loads((checkpoints.checkpoint_dir() / f"{1000:012d}.json").read_text())
    assert document["size"] == 1000 and document["format"] == checkpoints.FORMAT


def _rewrite_history(seq: int) -> None:
    """What a DBA can do: switch the append-only triggers off, edit an event, recompute every hash."""
    engine = get_engine()
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        rows = conn.execute(text("SELECT seq, at, actor_id, action, subject, details FROM audit_event ORDER BY seq")).all()
        prev = audit.GENESIS_HASH
        for row in rows:
            details = row.details if isinstance(row.details, dict) else json.loads(row.details)
            if row.seq == seq:
                details = {**details, "n": "改写"}
            at = row.at if not isinstance(row.at, str) else datetime.fromisoformat(row.at)
            if at.tzinfo is None:
                at = at.replace(tzinfo=timezone.utc)
            digest = audit.event_hash(prev, row.seq, at.isoformat(), row.actor_id, row.action, row.subject, details)
            conn.execute(text("UPDATE audit_event SET details = :d, prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"d": json.dumps(details, ensure_ascii=False), "p": prev, "h": digest, "s": row.seq})
            prev = digest
        if postgres:
            conn.execute(text("ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update_delete"))


def test_rewriting_history_with_the_triggers_off_is_detected(db):
    _events(5)
    checkpoints.sign_now()
    _rewrite_history(3)
    report = checkpoints.verify_all()
    assert report.chain_ok  # the rewritten chain is consistent in itself …
    assert not report.ok and any("已被改写" in p for p in report.problems), report  # … the signature is not
    out = subprocess.run([sys.executable, "-m", "app.cli", "audit", "verify"], capture_output=True, text=True)
    assert out.returncode == 1 and "审计日志核验未通过" in out.stdout, out.stdout + out.stderr


def test_backup_and_restore_into_an_empty_install(db, tmp_path):
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    signed = [flows.sign_case(approver, key, flows.accept_case(approver)) for _ in range(2)]
    checkpoints.sign_now()
    archive = tmp_path / "backup.tar"
    subprocess.run([sys.executable, "-m", "app.cli", "backup", str(archive)], check=True, capture_output=True)
    with transaction() as s:
        before = {d.document_number: d.pdf_sha256 for d in s.exec(select(Decision))}
        events = s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq

    # An empty install: a fresh schema, and the data folder emptied (the test run's PKI included).
    _reset_database()
    for name in ("pdfs", "checkpoints", "pki", "crl"):  # the PKI passphrase (secrets/) is the operator's
        shutil.rmtree(settings.data_dir / name, ignore_errors=True)
    (settings.data_dir / "personal-data.key").unlink(missing_ok=True)
    pki.bureau.cache_clear()
    out = subprocess.run([sys.executable, "-m", "app.cli", "restore", str(archive)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    pki.bureau.cache_clear()

    with transaction() as s:
        after = {d.document_number: d.pdf_sha256 for d in s.exec(select(Decision))}
        assert s.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first().seq == events
    assert after == before and len(after) == 2
    root = pki.bureau().root.public_bytes(Encoding.DER)
    for decision in signed:
        pdf = decisions.read_pdf(decision)
        assert proof.check_file(pdf, root).valid  # offline
        assert verification.check_pdf(pdf).valid  # online, against the restored records
    assert checkpoints.verify_all().ok
    with transaction() as s:  # the restored install goes on appending to the same chain
        audit.record(s, "test.after_restore", "x", None)
    assert checkpoints.verify_all().ok
