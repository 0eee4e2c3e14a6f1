"""Benchmark of the quarterly spot-check draw (issue 10: ≤ 3 s over 1,000,000 cases).

    .venv/bin/python bench/bench_spotcheck.py [--cases 1000000] [--approvers 50] [--runs 5] [--db-cases 0]

Generates the population in memory (case numbers as the counter makes them, staff numbers of ~50
approvers with unequal workloads, in canonical order) and times what the app does between the
population rows and the stored sample: the population file and its SHA-256 (`serialize`), then
tickets and per-approver selection (`draw`). Wall-clock and CPU time, median of the runs: on a
shared machine CPU time shows the work, wall-clock what an auditor would wait.

With --db-cases N it also inserts N generated decisions into a scratch SQLite database (not timed)
and times the population query of app/rules/supervision/spot_checks.py over them.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from common import fresh_database  # noqa: F401  (puts the repository on sys.path)

SEED = "314159265358979323846264"


def generate(cases: int, approvers: int) -> list[tuple[str, str]]:
    rng = random.Random(20261127)
    staff = [f"S{k:03d}" for k in range(1, approvers + 1)]
    weights = [rng.uniform(0.3, 1.7) for _ in staff]  # unequal workloads
    rows = []
    for n, staff_no in enumerate(rng.choices(staff, weights, k=cases)):
        day = 1 + n * 92 // cases
        rows.append((f"SL2026{7 + (day - 1) // 31:02d}{(day - 1) % 31 + 1:02d}{n + 1:06d}", staff_no))
    rows.sort(key=lambda r: r[1])  # canonical: by staff_no, then (already) by time
    return rows


def timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_draw(cases: int, approvers: int, runs: int) -> None:
    from app.rules.supervision import spot_draw

    entries = generate(cases, approvers)
    rows: dict[str, list[float]] = {"serialize + SHA-256": [], "draw": [], "total": [], "cpu total": []}
    for _ in range(runs):
        w1, c1, population = timed(lambda: spot_draw.serialize_population("2026Q3", 20, entries,
                                                                                 known_unique=True))
        w2, c2, result = timed(lambda: spot_draw.draw(population, SEED))
        rows["serialize + SHA-256"].append(w1)
        rows["draw"].append(w2)
        rows["total"].append(w1 + w2)
        rows["cpu total"].append(c1 + c2)
    print(f"cases: {cases:,}, approvers: {len(result.strata)}, sample: {result.size:,}, "
          f"population file: {len(population.data) / 1e6:.1f} MB, runs: {runs}")
    for label, values in rows.items():
        print(f"{label:22s} median {statistics.median(values):6.2f} s   max {max(values):6.2f} s")


def bench_query(db_cases: int, approvers: int) -> None:
    """Population query over generated decisions in a scratch SQLite database."""
    from datetime import datetime, timedelta

    from sqlalchemy import insert

    from app.db import transaction
    from app.models import Case, Decision, Item, Officer
    from app.rules.calendar import clock
    from app.rules.supervision import spot_checks
    from app.rules.people.keys import new_user_handle

    from sqlmodel import select

    from app.models import SecurityKey
    from tests import flows

    fresh_database(None)
    flows.enroll_admin()  # a key row for the decisions to point at
    with transaction() as s:
        item_id, key_id = s.exec(select(Item.id)).first(), s.exec(select(SecurityKey.id)).first()
        officers = [Officer(staff_no=f"B{k:03d}", name=f"审批员{k}", roles=["approver"], user_handle=new_user_handle())
                    for k in range(approvers)]
        s.add_all(officers)
        s.flush()
        officer_ids = [o.id for o in officers]
    now = datetime.now(clock.BEIJING)
    start = datetime(2026, 7, 1, tzinfo=clock.BEIJING)
    rng = random.Random(1)
    batch = 20_000
    t0 = time.perf_counter()
    for first in range(0, db_cases, batch):
        with transaction() as s:
            ids = range(first + 1, min(first + batch, db_cases) + 1)
            s.execute(insert(Case), [dict(id=i, case_no=f"SB{i:012d}", item_id=item_id, item_revision=1,
                                          approver_id=officer_ids[i % approvers], applicant_name="基准",
                                          applicant_id_type="居民身份证", applicant_id_encrypted=b"",
                                          applicant_id_masked="", applicant_phone_encrypted=b"",
                                          materials_received=[], conditions_met=[], correction=[],
                                          no_conflict_declared=True, deadline_provisional=False,
                                          state="decided", outcome="approved", created_at=now) for i in ids])
            s.execute(insert(Decision), [dict(id=i, case_id=i, outcome="approved", document_number=f"基准〔2026〕{i}号",
                                              verification_code=f"V{i:012d}",
                                              decided_at=start + timedelta(seconds=rng.randrange(92 * 86400)),
                                              approver_id=officer_ids[i % approvers], key_id=key_id, scope_items=[],
                                              payload="{}", payload_sha256="", challenge=b"", credential_id=b"",
                                              authenticator_data=b"", client_data_json=b"", signature=b"",
                                              sign_count=0, document_sha256="", pdf_sha256="", pdf_size=0,
                                              created_at=now)
                                         for i in ids])
    print(f"inserted {db_cases:,} decisions in {time.perf_counter() - t0:.1f} s (not part of the figures)")
    times = []
    for _ in range(3):
        with transaction() as s:
            wall, _cpu, rows = timed(lambda: spot_checks.population_rows(s, "2026Q3"))
        times.append(wall)
    print(f"population query (SQLite, {len(rows):,} rows, sorted): median {statistics.median(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--approvers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db-cases", type=int, default=0)
    args = parser.parse_args()
    bench_draw(args.cases, args.approvers, args.runs)
    if args.db_cases:
        bench_query(args.db_cases, args.approvers)


if __name__ == "__main__":
    main()
