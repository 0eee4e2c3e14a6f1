"""Faults at rule level, with real processes: a process killed with SIGKILL at random points while
it stores a signed decision. (A full disk: tests/unit/test_storage.py; PostgreSQL and Redis cut off
under running workers: tests/browser/test_faults.py.)"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import select

from app import storage
from app.db import transaction
from app.models import Case, Decision, DocumentNumber
from app.rules.counter import decisions
from tests import flows

ROOT = Path(__file__).resolve().parents[2]
KILLS = {"database": int(os.environ.get("TEST_KILLS", "50")), "local": int(os.environ.get("TEST_KILLS_LOCAL", "15"))}


class Child:
    """A fresh interpreter with the app imported, waiting for its one job."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.kill_child"], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        assert self.proc.stdout.readline().strip() == "ready"

    def run(self, job: dict, kill_after: float | None) -> str:
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        if kill_after is not None:
            time.sleep(kill_after)
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)
        return self.proc.stdout.read().strip()


def invariants(store, open_cases: set[int]) -> None:
    """No half-written decision, no file without its row, every 文号 used, voided or still held by
    its undecided case."""
    with transaction() as s:
        rows = list(s.exec(select(Decision)))
        cases = list(s.exec(select(Case)))
        numbers = list(s.exec(select(DocumentNumber)))
    by_case = {d.case_id: d for d in rows}
    for d in rows:
        pdf = store.get(decisions.pdf_key(d.pdf_sha256))
        assert pdf is not None and len(pdf) == d.pdf_size, f"decision {d.document_number} without its PDF"
    if store.name == "local":  # a kill between the file and the commit leaves a file no row names: moved aside
        decisions.quarantine_orphan_pdfs(min_age_seconds=0)
    assert {e.key for e in store.list("pdfs")} == {decisions.pdf_key(d.pdf_sha256) for d in rows}, \
        "a PDF without its row"
    for case in cases:
        if case.id in by_case:
            assert case.state == "decided" and case.outcome == by_case[case.id].outcome
        else:
            assert case.state == "accepted" and case.id in open_cases
    used = {d.document_number for d in rows}
    for number in numbers:
        assert (number.number in used) or (number.voided_at and number.void_reason) or \
            (number.case_id in open_cases and number.case_id not in by_case), number


@pytest.mark.parametrize("backend", ["database", "local"])
def test_a_process_killed_at_random_points_while_signing(db, backend, tmp_path, monkeypatch):
    store = storage.DatabaseStore() if backend == "database" else storage.LocalStore(tmp_path / "files")
    monkeypatch.setattr(storage, "_override", store)
    env = {**os.environ, "APP_FILE_STORE": backend, "APP_FILE_STORE_DIR": str(tmp_path / "files")}
    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    principal = flows.sign_in("S001", key)
    rng = random.Random(int(os.environ.get("TEST_SEED", "11")))
    outcomes: dict[str, int] = {}
    baseline_ms = None
    case, open_cases = None, set()
    child = Child(env)
    rounds = KILLS[backend]
    for i in range(rounds + 1):  # round 0 is not killed: it measures how long storing takes
        if case is None:
            case = flows.accept_case(principal)
            open_cases.add(case.id)
        request = decisions.prepare(principal, case.id, flows.conditions(case), flows.OPINION)
        job = {"principal": dataclasses.asdict(principal), "challenge_id": request.challenge_id,
               "response": key.get(request.options_json)}
        child.wait_ready()
        current, child = child, Child(env)  # the next one imports while this one works
        kill_after = None if baseline_ms is None else rng.uniform(0, baseline_ms * 1.5 / 1000)
        out = current.run(job, kill_after)
        if out.startswith("done") and baseline_ms is None:
            baseline_ms = float(out.split()[1])
        kind = out.split()[0] if out else "killed"
        outcomes[kind] = outcomes.get(kind, 0) + 1
        assert kind in ("done", "killed"), out
        with transaction() as s:
            decided = s.exec(select(Decision).where(Decision.case_id == case.id)).first() is not None
        if decided:
            open_cases.discard(case.id)
            case = None
        invariants(store, open_cases)
    child.proc.kill()
    # The approver whose signing was cut off retries and finishes, with the 文号 the case holds.
    if case is not None:
        with transaction() as s:
            number = s.exec(select(DocumentNumber).where(DocumentNumber.case_id == case.id)).one().number
        assert flows.sign_case(principal, key, case).document_number == number
        open_cases.discard(case.id)
    invariants(store, open_cases)
    with transaction() as s:
        numbers = list(s.exec(select(DocumentNumber)))
        assert all(n.number in {d.document_number for d in s.exec(select(Decision))} or n.voided_at
                   for n in numbers)
    drafts = store.list("drafts")
    print(f"{backend}: {rounds} kills at random points of ~{baseline_ms:.0f} ms: {outcomes}; "
          f"{len(numbers)} numbers, every one used; {len(drafts)} drafts of cut-off signings left for the daily prune")
    assert outcomes.get("killed", 0) >= rounds // 4  # most kills land inside the work, not after it


def test_a_lost_database_is_a_refusal_in_chinese_and_the_pool_reconnects():
    """PostgreSQL behind a TCP proxy that drops every connection and refuses new ones (as a restart
    does), then serves again: a refusal while it is away, the same engine works afterwards."""
    import socket

    from sqlalchemy import text

    from app.db import make_engine
    from app.rules.errors import Refused
    from tests.browser.stack import PROXY_PORT, TcpProxy

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 5432)) != 0:
            pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    proxy = TcpProxy(PROXY_PORT + 2, ("127.0.0.1", 5432))
    proxy.start()
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{PROXY_PORT + 2}/postgres")
    try:
        with transaction(engine) as s:
            assert s.exec(text("SELECT 1")).one()[0] == 1  # a pooled connection now exists
        proxy.stop()
        for _ in range(2):  # the pooled connection is dead, then no new one can be made
            with pytest.raises(Refused) as exc:
                with transaction(engine) as s:
                    s.exec(text("SELECT 1")).one()
            assert exc.value.code == "db.unavailable" and "数据库暂时无法连接" in exc.value.message
        proxy.start()
        with transaction(engine) as s:
            assert s.exec(text("SELECT 1")).one()[0] == 1
    finally:
        proxy.stop()
        engine.dispose()
