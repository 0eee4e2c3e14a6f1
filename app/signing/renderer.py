"""PDF rendering off the event loop and out of the web worker's memory.

WeasyPrint with a CJK font takes a few hundred milliseconds and keeps font data in
uncollected cycles (notes/pdf-signing.md §4), so renders run in a separate process that is
replaced after a number of documents. Callers await `render_pdf` from a thread or use
`render_pdf_async`."""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

RENDERS_PER_PROCESS = 100

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _render_in_worker(html: str) -> bytes:
    from weasyprint import HTML

    pdf = HTML(string=html, base_url=None).write_pdf()
    gc.collect()
    return pdf


def _warm_up() -> None:
    import weasyprint  # noqa: F401  (import costs ~1 s: pay it before the first decision)
    from weasyprint.text.ffi import harfbuzz_subset

    if harfbuzz_subset is None:  # fontTools fallback takes ~18 s per CJK page
        raise RuntimeError("libharfbuzz-subset0 is missing: install it (see README)")


def _get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        max_tasks_per_child=RENDERS_PER_PROCESS, initializer=_warm_up)
        return _pool


def warm_up() -> None:
    _get_pool().submit(gc.collect).result()


def render_pdf(html: str) -> bytes:
    return _get_pool().submit(_render_in_worker, html).result(timeout=120)


async def render_pdf_async(html: str) -> bytes:
    return await asyncio.wrap_future(_get_pool().submit(_render_in_worker, html))


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
