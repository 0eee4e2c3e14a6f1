"""Benchmark of the signing path, server side, with a software key and a fresh data folder:

- prepare (the click on 签署 up to the challenge: checks, 文号, PDF render in the renderer
  process, draft written, challenge stored) — what the approver waits for before the key prompt;
- complete (the assertion reaching the server up to the sealed decision stored: verification,
  evidence embedded, bureau's PAdES seal, PDF written, rows committed) — what they wait for after
  the touch;
- the delivered PDF's size and the worker's memory.

    .venv/bin/python bench/bench_signing.py [--decisions 200] [--db-url URL]"""

from __future__ import annotations

import argparse
import gc
import statistics
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
    from app.rules.counter import decisions
    from app.signing import renderer
    from tests import flows

    admin, admin_key = flows.enroll_admin()
    key = flows.register_key(admin, admin_key, "S001")
    approver = flows.sign_in("S001", key)
    renderer.warm_up()
    flows.sign_case(approver, key, flows.accept_case(approver))  # warm-up decision
    gc.collect()
    rss_before = rss_mib()
    times, prepares, sizes = [], [], []
    for _ in range(args.decisions):
        case = flows.accept_case(approver)
        start = time.perf_counter()
        request = decisions.prepare(approver, case.id, flows.conditions(case), flows.OPINION)
        prepares.append((time.perf_counter() - start) * 1000)
        response = key.get(request.options_json)
        start = time.perf_counter()
        decision = decisions.complete(approver, request.challenge_id, response)
        times.append((time.perf_counter() - start) * 1000)
        sizes.append(decision.pdf_size)
    rss_after = rss_mib()
    renderer.shutdown()
    print(f"decisions: {len(times)}  database: {database}")
    median, p95, worst = summary(prepares)
    print(f"click 签署 -> challenge (prepare): median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms")
    median, p95, worst = summary(times)
    print(f"assertion -> sealed PDF stored: median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms")
    print(f"PDF size: median {statistics.median(sizes) / 1000:.1f} KB, max {max(sizes) / 1000:.1f} KB")
    print(f"worker RSS: {rss_before:.1f} MiB before, {rss_after:.1f} MiB after "
          f"(growth {rss_after - rss_before:+.1f} MiB)")


if __name__ == "__main__":
    main()
