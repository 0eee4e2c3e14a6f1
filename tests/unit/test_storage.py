"""Stored files on both backends (APP_FILE_STORE=local|database): decision PDFs, drafts, orphans;
a draft rendered on one host is signed on another; no file without its row; a full disk."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlmodel import func, select

from app import storage
from app.config import settings
from app.db import transaction
from app.models import Case, Decision, DocumentNumber, Officer, StoredFile
from app.rules import audit
from app.rules.counter import decisions
from app.rules.errors import Refused
from tests import flows

BACKENDS = ["local", "database"]


@pytest.fixture(params=BACKENDS)
def backend(request, db):
    storage.use(request.param)
    yield request.param
    storage.use(None)


@pytest.fixture()
def approver(backend):
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    return flows.sign_in("S001", key), key


def stored_rows(prefix: str) -> list[str]:
    with transaction() as s:
        return sorted(k for k in s.exec(select(StoredFile.key)) if k.startswith(prefix))


def local_files(folder: str) -> set[str]:
    path = settings.file_store_dir / folder
    return {p.name for p in path.iterdir()} if path.is_dir() else set()


def count(model) -> int:
    with transaction() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_put_get_list_move_delete(backend):
    store = storage.store()
    assert store.name == backend
    key = f"pdfs/{uuid.uuid4().hex}.pdf"
    store.put(key, b"%PDF-1")
    store.put(key, b"%PDF-1")  # content-addressed: the same bytes again keep one
    assert store.get(key) == b"%PDF-1"
    assert key in [e.key for e in store.list("pdfs")]
    assert all(not e.key.startswith("pdfs/") for e in store.list("drafts"))
    store.move(key, key.replace("pdfs/", "orphans/"))
    assert store.get(key) is None and store.get(key.replace("pdfs/", "orphans/")) == b"%PDF-1"
    store.delete(key.replace("pdfs/", "orphans/"))
    assert store.get(key.replace("pdfs/", "orphans/")) is None
    store.check()
    for bad in ("../app.db", "pdfs/../../etc/passwd", "secrets/pki-passphrase", "pdfs/", "/pdfs/a.pdf"):
        with pytest.raises(ValueError):
            store.get(bad)


def test_database_store_refuses_different_bytes_under_one_key(db):
    store = storage.DatabaseStore()
    key = f"pdfs/{uuid.uuid4().hex}.pdf"
    store.put(key, b"one")
    with pytest.raises(Refused) as exc:
        store.put(key, b"two")
    assert exc.value.code == "storage.conflict" and store.get(key) == b"one"


def test_a_decision_is_stored_read_and_its_draft_removed(approver, backend):
    principal, key = approver
    before_files = local_files("pdfs")
    decision = flows.sign_case(principal, key, flows.accept_case(principal))
    pdf = decisions.read_pdf(decision)
    assert pdf.startswith(b"%PDF") and len(pdf) == decision.pdf_size
    _, downloaded = decisions.pdf_for(principal, decision.id)  # read inside the download's transaction
    assert downloaded == pdf
    draft = f"drafts/{json.loads(decision.payload)['document']['sha256']}.pdf"  # signed: its draft is gone
    assert draft not in stored_rows("drafts/") and draft not in [e.key for e in storage.store().list("drafts")]
    if backend == "database":
        assert stored_rows("pdfs/") == [f"pdfs/{decision.pdf_sha256}.pdf"]
        assert local_files("pdfs") == before_files  # nothing on this host's disk
    else:
        assert stored_rows("pdfs/") == []
        assert f"{decision.pdf_sha256}.pdf" in local_files("pdfs")


def test_a_draft_rendered_on_one_host_is_signed_on_another(approver, backend, tmp_path, monkeypatch):
    """prepare on host A, complete on host B (another disk): the database store serves the draft;
    a local folder that is not shared cannot, and says so in Chinese without storing anything."""
    principal, key = approver
    case = flows.accept_case(principal)
    request = decisions.prepare(principal, case.id, flows.conditions(case), flows.OPINION)
    other_host = tmp_path / "host-b"
    # Host B: the same database, its own disk.
    monkeypatch.setattr(storage, "_override",
                        storage.DatabaseStore() if backend == "database" else storage.LocalStore(other_host))
    if backend == "database":
        decision = decisions.complete(principal, request.challenge_id, key.get(request.options_json))
        assert decisions.read_pdf(decision).startswith(b"%PDF")
        assert not other_host.exists() or not any(other_host.rglob("*.pdf"))
    else:
        flows.assert_refused(lambda: decisions.complete(principal, request.challenge_id, key.get(request.options_json)),
                             "document.missing")


def test_a_failed_commit_stores_neither_row_nor_file(approver, backend, monkeypatch):
    principal, key = approver
    case = flows.accept_case(principal)
    files_before, rows_before = local_files("pdfs"), stored_rows("pdfs/")
    real_record = audit.record

    def failing_record(session, action, *args, **kwargs):
        if action == "decision.signed":
            session.add(Officer(staff_no="A001", name="重复", roles=[], user_handle="dup"))  # unique violation
            session.flush()
        return real_record(session, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(Refused) as exc:
        flows.sign_case(principal, key, case)
    assert exc.value.code == "db.conflict"
    assert local_files("pdfs") == files_before and stored_rows("pdfs/") == rows_before
    assert count(Decision) == 0
    monkeypatch.setattr(audit, "record", real_record)
    decision = flows.sign_case(principal, key, case)  # the approver signs again and finishes
    assert decisions.read_pdf(decision).startswith(b"%PDF")


def test_orphans_are_moved_aside_and_stale_drafts_pruned(approver, backend):
    principal, key = approver
    store = storage.store()
    decision = flows.sign_case(principal, key, flows.accept_case(principal))
    orphan = f"pdfs/{'cd' * 32}.pdf"
    store.put(orphan, b"%PDF-orphan")
    moved = decisions.quarantine_orphan_pdfs(min_age_seconds=0)
    # (earlier tests' PDFs on the shared test folder belong to databases since dropped: orphans too)
    assert f"{'cd' * 32}.pdf" in moved and f"{decision.pdf_sha256}.pdf" not in moved
    assert store.get(orphan) is None and store.get(f"orphans/{'cd' * 32}.pdf") == b"%PDF-orphan"
    assert decisions.read_pdf(decision)  # a PDF its row names stays
    decisions.prune_drafts(min_age_seconds=0)  # earlier tests' drafts
    case = flows.accept_case(principal)
    decisions.prepare(principal, case.id, flows.conditions(case), flows.OPINION)  # never signed
    assert len(store.list("drafts")) == 1
    assert decisions.prune_drafts() == 0  # younger than a day: kept
    assert decisions.prune_drafts(min_age_seconds=0) == 1 and store.list("drafts") == []


def test_a_missing_pdf_is_a_refusal_in_chinese(approver, backend):
    principal, key = approver
    decision = flows.sign_case(principal, key, flows.accept_case(principal))
    storage.store().delete(decisions.pdf_key(decision.pdf_sha256))
    with pytest.raises(Refused) as exc:
        decisions.read_pdf(decision)
    assert exc.value.code == "decision.pdf_missing" and "缺失" in exc.value.message


@pytest.fixture()
def small_disk(tmp_path):
    """A 1 MiB tmpfs (root only): a real ENOSPC from the kernel, not a mock."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def test_a_full_disk_when_the_pdf_is_written_is_a_refusal_and_nothing_is_recorded(db, small_disk, monkeypatch):
    storage.use(None)
    monkeypatch.setattr(storage, "_override", storage.LocalStore(small_disk))
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    principal = flows.sign_in("S001", key)
    case = flows.accept_case(principal)
    request = decisions.prepare(principal, case.id, flows.conditions(case), flows.OPINION)
    filler = _fill(small_disk)  # the draft is written; now the disk is full
    error = flows.assert_refused(
        lambda: decisions.complete(principal, request.challenge_id, key.get(request.options_json)),
        "storage.full", audited=False)
    assert "存储空间已满" in error.message
    assert not any((small_disk / "pdfs").glob("*")) if (small_disk / "pdfs").exists() else True
    with transaction() as s:
        assert s.get(Case, case.id).state == "accepted"
        number = s.exec(select(DocumentNumber).where(DocumentNumber.case_id == case.id)).one()
        assert number.voided_at is None  # still reserved for this case, used when it is signed
    filler.unlink()
    decision = flows.sign_case(principal, key, case)  # space again: the approver retries and finishes
    assert decision.document_number == number.number
    assert decisions.read_pdf(decision).startswith(b"%PDF")


@pytest.mark.parametrize("source,target", [("database", "database"), ("local", "database")])
def test_backup_and_restore_with_the_database_store(db, tmp_path, source, target):
    """A backup of either store restores into a database store (how a single-host install moves to
    several hosts): every decision's PDF is served again and verifies."""
    import os
    import shutil
    import sys

    from cryptography.hazmat.primitives.serialization import Encoding

    from app.signing import pki, proof
    from tests.conftest import _reset_database

    storage.use(source)
    try:
        admin, admin_key = flows.enroll_admin()
        key = flows.register_key(admin, admin_key, "S001")
        approver = flows.sign_in("S001", key)
        signed = [flows.sign_case(approver, key, flows.accept_case(approver)) for _ in range(2)]
        archive = tmp_path / "backup.tar"
        env = {**os.environ, "APP_FILE_STORE": source}
        subprocess.run([sys.executable, "-m", "app.cli", "backup", str(archive)], check=True, capture_output=True,
                       env=env)
        _reset_database()
        for name in ("pdfs", "checkpoints", "pki", "crl"):
            shutil.rmtree(settings.data_dir / name, ignore_errors=True)
        pki.bureau.cache_clear()
        out = subprocess.run([sys.executable, "-m", "app.cli", "restore", str(archive)], capture_output=True,
                             text=True, env={**os.environ, "APP_FILE_STORE": target})
        assert out.returncode == 0, out.stdout + out.stderr
        pki.bureau.cache_clear()
        storage.use(target)
        assert not (settings.data_dir / "pdfs").exists()  # in the database, not on this disk
        assert stored_rows("pdfs/") == sorted(f"pdfs/{d.pdf_sha256}.pdf" for d in signed)
        root = pki.bureau().root.public_bytes(Encoding.DER)
        for decision in signed:
            assert proof.check_file(decisions.read_pdf(decision), root).valid
    finally:
        storage.use(None)
