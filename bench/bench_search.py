"""Benchmark of the auditors' decision search (app.rules.supervision.decision_search, the rule behind /audits)
over generated decisions (bench/generated.py: 1,000,000 by default, bulk-inserted, not signed).

    .venv/bin/python bench/bench_search.py --db-url postgresql+psycopg://postgres@127.0.0.1:5432/NAME \
        [--decisions 1000000] [--runs 20] [--reuse]

Every combination of the filters the page offers is timed — date range (a random quarter),
approver, item (drawn by popularity), outcome, applicant (part of a name) and their 32
combinations, plus 文号 and case number — each on page 1 and on the middle page of its result (the
deepest a page can be: later pages are read from the other end), 20 page-size rows, with fresh
filter values on every run. Applicant terms are what an auditor types for one applicant: a
person's name, or two distinctive words of a company's; two broad words every third or fortieth
applicant shares (有限公司, 商贸) are timed apart, after the target. A search is what the page waits for: the count and the page's rows.
--reuse skips generation when the database already holds the decisions (same seed)."""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from datetime import timedelta

from common import summary

FILTERS = ("date", "approver", "item", "outcome", "applicant")
TARGET_P95_MS = 200


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated filter names: time only combinations of these")
    args = parser.parse_args()

    import tempfile

    os.environ["APP_DATA_DIR"] = tempfile.mkdtemp(prefix="approval-bench-")
    os.environ["TEST_DB_URL"] = os.environ["REFLEX_DB_URL"] = args.db_url
    from sqlalchemy import func, select, text

    from app.db import get_engine
    from app.models import Case, Decision, Item, Officer
    from app.rules.calendar import clock
    from app.rules.supervision import decision_search
    from app.rules.principal import Principal
    from generated import generate, setup_people_and_items

    engine = get_engine()
    with engine.connect() as conn:
        have = 0
        try:
            have = conn.execute(select(func.count()).select_from(Decision)).scalar()
        except Exception:
            pass
    if not (args.reuse and have >= args.decisions):
        from common import fresh_database

        fresh_database(args.db_url)
        started = time.perf_counter()
        approver_ids, item_ids, keys = setup_people_and_items()
        generate(args.decisions, approver_ids, item_ids, keys)
        print(f"generated {args.decisions:,} decisions in {time.perf_counter() - started:.0f} s")
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Decision)).scalar()
        approver_ids = list(conn.execute(select(Officer.id).where(Officer.staff_no.like("G%"))).scalars())
        item_ids = list(conn.execute(select(Item.id).where(Item.code.like("370303-GEN-%")).order_by(Item.id)).scalars())
        first, last = conn.execute(select(func.min(Decision.decided_at), func.max(Decision.decided_at))).one()
        sample = conn.execute(text("SELECT d.document_number, c.case_no, c.applicant_name FROM decision d "
                                   "JOIN case_file c ON c.id = d.case_id ORDER BY random() LIMIT 500")).all()
        version = conn.execute(text("SHOW server_version")).scalar() if engine.dialect.name == "postgresql" else ""
    auditor = Principal("bench", 0, 0, "基准", "P000", ("auditor",))
    rng = random.Random(7)
    item_weights = [1 / (rank + 1) for rank in range(len(item_ids))]
    first_day = first.astimezone(clock.BEIJING).date()
    span = (last.astimezone(clock.BEIJING).date() - first_day).days

    def term(name: str) -> str:
        """Part of a name as an auditor types it: a person's full name, or two words of a company's."""
        return name if not name.endswith("有限公司") else name[2:6]

    def value(name: str) -> dict:
        if name == "date":
            start = first_day + timedelta(days=rng.randrange(span - 90))
            return {"date_from": start.isoformat(), "date_to": (start + timedelta(days=90)).isoformat()}
        if name == "approver":
            return {"approver_id": str(rng.choice(approver_ids))}
        if name == "item":
            return {"item_id": str(rng.choices(item_ids, item_weights)[0])}
        if name == "outcome":
            return {"outcome": rng.choice(("approved", "refused", "not_accepted"))}
        if name == "applicant":
            return {"applicant": term(rng.choice(sample)[2])}
        if name == "number":
            return {"document_number": rng.choice(sample)[0]}
        if name == "case":
            return {"case_no": rng.choice(sample)[1]}
        raise ValueError(name)

    only = [f for f in args.only.split(",") if f] or list(FILTERS)
    combos = [c for r in range(len(only) + 1) for c in itertools.combinations(only, r)]
    if not args.only:
        combos += [("number",), ("case",)]
    print(f"{total:,} decisions, {len(approver_ids)} approvers, {len(item_ids)} items, "
          f"{'PostgreSQL ' + version if version else 'SQLite'}; {args.runs} runs per query, 20 rows a page")
    print(f"{'filters':38s} {'rows (median)':>13s} {'page 1 p50/p95 ms':>18s} {'middle page p50/p95 ms':>23s}")
    worst = 0.0
    results = []
    for combo in combos:
        first_page, middle_page, counts = [], [], []
        for _ in range(args.runs):
            form = {}
            for name in combo:
                form.update(value(name))
            started = time.perf_counter()
            page = decision_search.search(auditor, form, 1, 20)
            first_page.append((time.perf_counter() - started) * 1000)
            counts.append(page.total)
            started = time.perf_counter()
            decision_search.search(auditor, form, max(1, (page.pages + 1) // 2), 20)
            middle_page.append((time.perf_counter() - started) * 1000)
        p1, m1 = summary(first_page), summary(middle_page)
        worst = max(worst, p1[1], m1[1])
        counts.sort()
        label = " + ".join(combo) or "(none)"
        results.append((label, counts[len(counts) // 2], p1, m1))
        print(f"{label:38s} {counts[len(counts) // 2]:>13,d} {p1[0]:8.1f} / {p1[1]:6.1f} {m1[0]:13.1f} / {m1[1]:6.1f}",
              flush=True)
    print(f"worst p95: {worst:.1f} ms (target ≤ {TARGET_P95_MS} ms): {'met' if worst <= TARGET_P95_MS else 'NOT met'}")
    if args.only:
        return
    # Beyond the realistic terms: words a third or a fortieth of all applicants share. The index of
    # two-character pieces finds every case holding them, and a deep page sorts all of them.
    print("broad applicant terms (not part of the target: see README)")
    for word in ("有限公司", "商贸"):
        first_page, middle_page = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            page = decision_search.search(auditor, {"applicant": word}, 1, 20)
            first_page.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            decision_search.search(auditor, {"applicant": word}, max(1, (page.pages + 1) // 2), 20)
            middle_page.append((time.perf_counter() - started) * 1000)
        p1, m1 = summary(first_page), summary(middle_page)
        print(f"{'applicant = ' + word:38s} {page.total:>13,d} {p1[0]:8.1f} / {p1[1]:6.1f} {m1[0]:13.1f} / {m1[1]:6.1f}",
              flush=True)


if __name__ == "__main__":
    sys.exit(main())
