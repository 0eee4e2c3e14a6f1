"""Benchmark of 打包下载 on /audits: a ZIP of 1,000 decisions (app.rules.supervision.decision_archive.build), as
the page runs it — in a worker thread of the Reflex process, next to an event loop that keeps
serving other officers.

    .venv/bin/python bench/bench_zip.py [--decisions 1000] [--pdf-kb 70] [--db-url URL]

The decisions are generated rows (bench/generated.py) pointing to 1,000 distinct files of random
bytes (~70 KB each, as incompressible as a real decision PDF), stored under their SHA-256 like real
ones, so the archive reads, checks and writes exactly what it would for signed decisions. Measured:
the build's wall time; this process's resident memory (VmRSS from /proc/self/status, sampled every
10 ms during the build) against its level just before; the hand-over check (the file's SHA-256,
as GET /api/exports/<token> computes before streaming); and how late a 20 ms timer on the event
loop fires, and how long a decision search takes, while the build runs against when it does not."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time

from common import summary


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def loop_probe(stop: threading.Event, lateness: list[float], searches: list[float], search) -> None:
    """What other officers feel: a 20 ms timer's lateness, and a search every 100 ms (in a thread, as
    a Reflex handler's database work runs)."""
    ticks = 0
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.02)
        lateness.append((time.perf_counter() - started - 0.02) * 1000)
        ticks += 1
        if ticks % 5 == 0:
            started = time.perf_counter()
            await asyncio.to_thread(search)
            searches.append((time.perf_counter() - started) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=1000)
    parser.add_argument("--pdf-kb", type=int, default=70)
    parser.add_argument("--db-url", default=None)
    args = parser.parse_args()
    from common import fresh_database

    database = fresh_database(args.db_url)
    import hashlib

    from app.config import settings
    from app.rules.supervision import decision_archive
    from app.rules.supervision import decision_search
    from app.rules.supervision import exports
    from app.rules.principal import Principal
    from generated import generate, setup_people_and_items

    settings.pdf_dir.mkdir(parents=True, exist_ok=True)

    def pdf(i: int) -> tuple[str, int]:
        data = os.urandom(args.pdf_kb * 1024 - 512 + i % 1024)
        sha = hashlib.sha256(data).hexdigest()
        (settings.pdf_dir / f"{sha}.pdf").write_bytes(data)
        return sha, len(data)

    approver_ids, item_ids, keys = setup_people_and_items()
    generate(args.decisions, approver_ids, item_ids, keys, pdf=pdf, report=lambda _: None)
    auditor = Principal("bench-session", 0, 0, "基准", "P000", ("auditor",))
    search = lambda: decision_search.search(auditor, {"outcome": "approved"}, 1, 20)  # noqa: E731
    # Warm-up on a few decisions: imports, the bureau's root loaded.
    decision_archive.build(auditor, {"outcome": "not_accepted", "approver_id": str(approver_ids[0])}, None)
    for path in exports.export_dir().glob("*.zip"):
        path.unlink()

    # Idle: the loop and the search without a build.
    idle_late, idle_search = [], []
    stop = threading.Event()
    threading.Timer(3.0, stop.set).start()
    asyncio.run(loop_probe(stop, idle_late, idle_search, search))
    il, isr = summary(idle_late), summary(idle_search)
    print(f"{args.decisions:,} decisions, {database}, PDFs ~{args.pdf_kb} KB each (random bytes, distinct)")
    print(f"idle: 20 ms timer lateness median / p95 / max {il[0]:.1f} / {il[1]:.1f} / {il[2]:.1f} ms; "
          f"a search (page 1) median / p95 {isr[0]:.1f} / {isr[1]:.1f} ms")
    for label, cold in (("PDFs in the page cache", False), ("PDFs evicted from the page cache", True)):
        if cold:
            for path in settings.pdf_dir.glob("*.pdf"):
                fd = os.open(path, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
        measure(label, auditor, search, exports, decision_archive)


def measure(label, auditor, search, exports, decision_archive) -> None:
    samples: list[float] = []
    progress: list[tuple[float, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append(rss_mib())
            time.sleep(0.01)

    base = rss_mib()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    late, searches = [], []
    result = {}

    async def run() -> None:
        stop = threading.Event()
        probe = asyncio.ensure_future(loop_probe(stop, late, searches, search))
        started = time.perf_counter()

        def on_progress(n: int, total: int) -> None:
            if n % 250 == 0 or n == total:
                progress.append((time.perf_counter() - started, n))

        result["prepared"] = await asyncio.to_thread(decision_archive.build, auditor, {}, on_progress)
        result["seconds"] = time.perf_counter() - started
        stop.set()
        await probe

    asyncio.run(run())
    done.set()
    sampler.join()
    prepared = result["prepared"]
    started = time.perf_counter()
    exports.sha256_file(exports.export_dir() / f"{prepared.file_id}.zip")
    check = time.perf_counter() - started
    peak = max(samples)
    bl, bsr = summary(late), summary(searches) if searches else (0, 0, 0)
    print(f"\n{label}: {prepared.count:,} decisions, ZIP {prepared.size / 1024 / 1024:.1f} MiB")
    print(f"  build {result['seconds']:.2f} s ({result['seconds'] * 1000 / prepared.count:.2f} ms a decision); "
          f"progress {', '.join(f'{n} at {t:.2f} s' for t, n in progress)}")
    print(f"  hand-over check (SHA-256 of the ZIP): {check * 1000:.0f} ms")
    print(f"  RSS {base:.1f} MiB before, peak {peak:.1f} MiB during the build: +{peak - base:.1f} MiB "
          f"({len(samples)} samples; target growth ≤ 50 MB)")
    print(f"  during the build: 20 ms timer lateness median / p95 / max {bl[0]:.1f} / {bl[1]:.1f} / {bl[2]:.1f} ms; "
          f"searches {len(searches)}, median / max {bsr[0]:.1f} / {bsr[2]:.1f} ms")

if __name__ == "__main__":
    sys.exit(main())
