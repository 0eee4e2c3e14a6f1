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


_font_config = None


def _render_in_worker(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    global _font_config
    if _font_config is None:  # one per renderer process: saves ~10 ms of font lookup per document
        _font_config = FontConfiguration()
    pdf = HTML(string=html, base_url=None).write_pdf(font_config=_font_config)
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
        if _pool is not None and getattr(_pool, "_broken", False):
            # The renderer process died (killed, out of memory): a broken pool refuses every task
            # for good, so the next render starts a new one instead of failing until a restart.
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        max_tasks_per_child=RENDERS_PER_PROCESS, initializer=_warm_up)
        return _pool


_tasks = 0  # submitted to the pool: its process is replaced after every RENDERS_PER_PROCESS


def _submit(fn, *args):
    """A process's last task is followed at once by a no-op, so the replacement is spawned and
    imports WeasyPrint (~1 s) now, not when the next approver clicks 签署."""
    global _tasks
    pool = _get_pool()
    future = pool.submit(fn, *args)
    with _lock:
        _tasks += 1
        last_of_process = _tasks % RENDERS_PER_PROCESS == 0
    if last_of_process:
        _submit(gc.collect)
    return future


def warm_up() -> None:
    _submit(gc.collect).result()


def render_pdf(html: str) -> bytes:
    return _submit(_render_in_worker, html).result(timeout=120)


async def render_pdf_async(html: str) -> bytes:
    return await asyncio.wrap_future(_submit(_render_in_worker, html))


def health(timeout: float = 5.0) -> None:
    """Raises unless the renderer process answers a no-op within `timeout` (it queues behind
    renders in progress, a few hundred milliseconds each)."""
    _submit(gc.collect).result(timeout=timeout)


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
            global _tasks
            _tasks = 0
