"""Refusals that concern a key, an authorization or a signature are written to the audit log,
in their own transaction after the refused work has rolled back (SPEC §5, issue 3)."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from app.db import transaction
from app.rules import audit
from app.rules.errors import Refused
from app.rules.principal import Principal

AUDITED_PREFIXES = ("key.", "authorization.", "webauthn.", "challenge.", "payload.", "scope.", "item.",
                    "decision.", "document.", "signin.", "enroll.", "attestation.", "stepup.", "case.not_own",
                    "case.not_signable")

F = TypeVar("F", bound=Callable)


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
                    with transaction() as session:
                        audit.record(session, "refused", action, actor, code=exc.code, message=exc.message)
                raise

        return inner  # type: ignore[return-value]

    return wrap
