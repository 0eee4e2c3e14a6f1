"""A process that completes one signing and may be killed while doing it (tests/unit/test_faults.py).

Prints "ready" once imported; then reads one JSON line (principal, challenge id, the key's
response), runs decisions.complete and prints "done <ms>" or "refused <code>"."""

import json
import sys
import time

from app.rules.counter import decisions
from app.rules.errors import Refused
from app.rules.principal import Principal

print("ready", flush=True)
line = sys.stdin.readline()
if line:
    job = json.loads(line)
    p = job["principal"]
    principal = Principal(p["session_id"], p["officer_id"], p["key_id"], p["name"], p["staff_no"], tuple(p["roles"]))
    start = time.perf_counter()
    try:
        decisions.complete(principal, job["challenge_id"], job["response"])
        print(f"done {(time.perf_counter() - start) * 1000:.1f}", flush=True)
    except Refused as exc:
        print(f"refused {exc.code}", flush=True)
