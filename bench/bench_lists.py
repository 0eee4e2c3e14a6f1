"""Benchmark of the working group's list pages: server-side search and pagination over
hundreds of items and officers (the rules behind /catalog and /roster).

    .venv/bin/python bench/bench_lists.py [--items 500] [--officers 500] [--db-url URL]
"""

from __future__ import annotations

import argparse
import time

from common import fresh_database, summary


def timed(fn, runs: int = 50) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return summary(times)[:2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    database = fresh_database(args.db_url)
    from app.rules.catalog import items as catalog
    from app.rules.people import roster
    from tests import flows

    admin, _ = flows.enroll_admin()
    base = {"category_code": "SCZT", "department_code": "SCZT", "legal_basis": "某条例", "conditions": "条件",
            "materials": "申请书|1|0|是", "statutory_limit_days": "20", "promised_limit_days": "0"}
    for n in range(args.items):
        catalog.create_item(admin, {**base, "code": f"B-{n:04d}", "name": f"基准事项{n}"}, "基准")
    for n in range(args.officers):
        roster.create_officer(admin, {"staff_no": f"B{n:04d}", "name": f"人员{n}", "department_code": "SCZT",
                                      "joined_on": "2020-01-01", "roles": ["approver"]}, "基准")
    print(f"items: {args.items + 4}, officers: {args.officers + 5}, database: {database}")
    for label, fn in [
        ("catalog, first page", lambda: catalog.search(admin)),
        ("catalog, text search", lambda: catalog.search(admin, text="基准事项12")),
        ("catalog, last page", lambda: catalog.search(admin, page=10_000)),
        ("roster, first page", lambda: roster.search(admin)),
        ("roster, role filter, page 5", lambda: roster.search(admin, role="approver", page=5)),
    ]:
        median, p95 = timed(fn)
        print(f"{label:32s} median {median:6.1f} ms   p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main()
