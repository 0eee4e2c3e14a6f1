"""Refusals that concern a key, an authorization or a signature are written to the audit log,
in their own transaction after the refused work has rolled back (SPEC §5, issue 3)."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from app.db import transaction
from app.rules import audit, ratelimit
from app.rules.errors import Refused
from app.rules.principal import Principal

AUDITED_PREFIXES = ("key.", "authorization.", "webauthn.", "challenge.", "payload.", "scope.", "item.",
                    "decision.", "document.", "signin.", "enroll.", "attestation.", "stepup.", "case.not_own",
                    "case.not_signable")

F = TypeVar("F", bound=Callable)

FLOOD_BUCKET = "audit.refusal"
FLOOD_WINDOW_SECONDS = 60
FLOOD_ROWS_PER_WINDOW = 5


def _record(action: str, actor: int | None, exc: Refused) -> None:
    """Anonymous refusals (sign-in, enrolment, verification) can come in floods: the first few per
    reason a minute are written, the rest are counted, and the next row written says how many were
    left out. So a flood neither grows the log without bound nor queues on the chain's lock."""
    details = {"code": exc.code, "message": exc.message}
    if actor is None:
        flood_key = f"{action}|{exc.code}"
        if ratelimit.hit(FLOOD_BUCKET, flood_key, FLOOD_WINDOW_SECONDS) > FLOOD_ROWS_PER_WINDOW:
            ratelimit.bump(FLOOD_BUCKET + ".left_out", flood_key)
            return
        left_out = ratelimit.take(FLOOD_BUCKET + ".left_out", flood_key)
        if left_out:
            details["left_out_before"] = left_out
    with transaction() as session:
        audit.record(session, "refused", action, actor, **details)


def audit_refusals(action: str) -> Callable[[F], F]:
    """Decorate a rule entry point: its key/authorization/signature refusals are recorded."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Refused as exc:
                if exc.code.startswith(AUDITED_PREFIXES):
                    actor = args[0].officer_id if args and isinstance(args[0], Principal) else None
                    _record(action, actor, exc)
                raise

        return inner  # type: ignore[return-value]

    return wrap
