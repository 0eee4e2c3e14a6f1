"""Benchmark of the signing path: from the assertion reaching the server to the decision's PDF,
evidence embedded, stored and ready to download (decisions.complete), plus the worker's memory.

    .venv/bin/python bench/bench_signing.py [--decisions 200] [--db-url URL]

Prepare (checks, 文号, PDF render in the renderer process, challenge) is not timed: it happens
before the approver touches the key. Uses a fresh data folder and a software key."""

from __future__ import annotations

import argparse
import gc
import time

from common import fresh_database, summary


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    database = fresh_database(args.db_url)
    from app.rules import decisions
    from app.signing import renderer
    from tests import flows

    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    renderer.warm_up()
    flows.sign_case(approver, key, flows.accept_case(approver))  # warm-up decision
    gc.collect()
    rss_before = rss_mib()
    times = []
    for _ in range(args.decisions):
        case = flows.accept_case(approver)
        request = decisions.prepare(approver, case.id, flows.conditions(case))
        response = key.get(request.options_json)
        start = time.perf_counter()
        decision = decisions.complete(approver, request.challenge_id, response)
        times.append((time.perf_counter() - start) * 1000)
        assert decision.pdf_size > 0
    rss_after = rss_mib()
    renderer.shutdown()
    median, p95, worst = summary(times)
    print(f"decisions: {len(times)}  database: {database}")
    print(f"assertion -> stored PDF: median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms")
    print(f"worker RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after "
          f"(growth {rss_after - rss_before:+.1f} MiB)")


if __name__ == "__main__":
    main()
