"""Read-only views of the roster for the working group."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from app.db import transaction
from app.models import Authorization, Category, Officer, SecurityKey
from app.rules.principal import Principal
from app.rules.roles import ADMIN
from app.rules.scope import authorization_state


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
