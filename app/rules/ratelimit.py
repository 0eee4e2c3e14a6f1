"""Fixed-window counters for anonymous or per-client limits (sign-in, /verify, refusal floods).

Counted in Redis when several workers share one (REFLEX_REDIS_URL), else in this process, so a
flood costs no database row. A counter is (bucket, key) → hits in the current window."""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

_lock = threading.Lock()
_local: dict[tuple[str, str, int], int] = {}


@lru_cache(maxsize=1)
def _redis():
    url = os.environ.get("REFLEX_REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=2)


def _window(window_seconds: int) -> int:
    return int(time.time() // window_seconds)


def hit(bucket: str, key: str, window_seconds: int) -> int:
    """Count one hit; return the hits in this window, this one included."""
    window = _window(window_seconds)
    client = _redis()
    if client is not None:
        name = f"zd:rl:{bucket}:{window}:{key}"
        with client.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds * 2)
            return int(pipe.execute()[0])
    with _lock:
        if len(_local) > 100_000:  # old windows: forget them
            for k in [k for k in _local if k[2] != window]:
                del _local[k]
        slot = (bucket, key, window)
        _local[slot] = _local.get(slot, 0) + 1
        return _local[slot]


def allow(bucket: str, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit; False once the key has used up its limit in this window."""
    return hit(bucket, key, window_seconds) <= limit


_tallies: dict[tuple[str, str], int] = {}


def bump(bucket: str, key: str) -> None:
    """Add one to a tally that lasts until taken."""
    client = _redis()
    if client is not None:
        client.incr(f"zd:tally:{bucket}:{key}")
        return
    with _lock:
        _tallies[(bucket, key)] = _tallies.get((bucket, key), 0) + 1


def take(bucket: str, key: str) -> int:
    """Read a tally and set it back to zero."""
    client = _redis()
    if client is not None:
        return int(client.getdel(f"zd:tally:{bucket}:{key}") or 0)
    with _lock:
        return _tallies.pop((bucket, key), 0)


def reset() -> None:
    """Tests only: forget every in-process counter."""
    with _lock:
        _local.clear()
        _tallies.clear()
