"""Read-only views of the roster for the working group."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import select

from app.db import transaction
from app.models import Authorization, Category, Officer, SecurityKey
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.roles import ADMIN
from app.rules.scope import authorization_state
from app.signing.attestation import current_policy


def officers_overview(principal: Principal, today: date):
    """(officer, latest authorization, its state, scope text, active key count) per officer."""
    principal.require(ADMIN)
    with transaction() as session:
        officers = session.exec(select(Officer).order_by(Officer.staff_no)).all()
        auths = session.exec(select(Authorization).order_by(Authorization.valid_from)).all()
        keys = session.exec(select(SecurityKey).where(SecurityKey.status == "active")).all()
        category_names = {c.code: c.name for c in session.exec(select(Category))}
    latest = {a.officer_id: a for a in auths}
    rows = []
    for o in officers:
        auth = latest.get(o.id)
        state = authorization_state(auth, today) if auth else "none"
        scope = "、".join([*(f"{category_names.get(c, c)}类" for c in auth.scope_categories),
                           *auth.scope_items]) if auth else ""
        rows.append((o, auth, state, scope, sum(k.officer_id == o.id for k in keys)))
    return rows


def keys_overview(principal: Principal):
    principal.require(ADMIN)
    with transaction() as session:
        return list(session.exec(select(SecurityKey, Officer).join(Officer, SecurityKey.officer_id == Officer.id)
                                 .order_by(SecurityKey.id.desc())).all())


def attestation_policy(principal: Principal):
    principal.require(ADMIN)
    with transaction() as session:
        return current_policy(session)


def policy_with(principal: Principal, aaguid: Any, root_pem: Any, reset: bool) -> tuple[list, dict]:
    """The allow list and roots after adding one model to the current policy (or none, on reset)."""
    policy = attestation_policy(principal)
    if reset:
        return [], {}
    if not isinstance(aaguid, str) or not isinstance(root_pem, str) or not aaguid.strip() or not root_pem.strip():
        raise refuse("attestation.model_incomplete", "请填写型号 AAGUID 及其根证书（PEM）")
    try:
        model = str(uuid.UUID(aaguid.strip()))
    except ValueError:
        raise refuse("attestation.bad_aaguid", f"AAGUID 格式错误：{aaguid.strip()[:40]}")
    allowed = list(policy.allowed_aaguids) if policy else []
    roots = {k: list(v) for k, v in (policy.pinned_roots if policy else {}).items()}
    allowed.append(model)
    roots.setdefault(model, []).append(root_pem.strip())
    return allowed, roots
