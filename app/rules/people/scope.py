"""Authorization scope: which items an approver may decide, and the digest a key is bound to."""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlmodel import Session, select

from app.models import Authorization, Category, Item
from app.rules.canonical import canonical_json, sha256_hex

EXCLUSION_FLAGS = {
    "excl_technical_review": "需技术审查",
    "excl_site_inspection": "需两名以上工作人员现场核查",
    "excl_expert_appraisal": "需检验、检测、鉴定或专家评审",
    "excl_hearing": "需举行听证",
    "excl_interested_parties": "涉及利害关系人",
    "excl_major_legal_review": "需重大执法决定法制审核",
}


def exclusions(item: Item) -> list[str]:
    """Chinese names of the exclusion flags set on the item (二: such items are never independent)."""
    return [label for flag, label in EXCLUSION_FLAGS.items() if getattr(item, flag)]


def is_independent(item: Item) -> bool:
    return item.independent and not exclusions(item)


def authorization_state(auth: Authorization, today: date) -> str:
    if auth.revoked_at is not None:
        return "revoked"
    if auth.superseded_at is not None:
        return "renewed"
    if today < auth.valid_from:
        return "pending"
    if today > auth.valid_until:
        return "expired"
    return "active"


def active_authorization(session: Session, officer_id: int, today: date) -> Optional[Authorization]:
    auths = session.exec(select(Authorization).where(Authorization.officer_id == officer_id)
                         .order_by(Authorization.valid_from.desc())).all()
    return next((a for a in auths if authorization_state(a, today) == "active"), None)


def covers(auth: Authorization, item: Item, category_code: str) -> bool:
    return item.code in auth.scope_items or category_code in auth.scope_categories


def scope_digest(auth: Authorization, bound_items: list[str]) -> str:
    """What a key is bound to: the authorization and the item codes it resolved to when the key
    was bound. A change of either changes the digest."""
    return sha256_hex(canonical_json({
        "authorization_id": auth.id,
        "officer_id": auth.officer_id,
        "categories": sorted(auth.scope_categories),
        "items": sorted(auth.scope_items),
        "valid_from": auth.valid_from.isoformat(),
        "valid_until": auth.valid_until.isoformat(),
        "bound_items": sorted(bound_items),
    }))


def items_in_scope(session: Session, auth: Authorization) -> list[Item]:
    """Items the authorization covers today in the catalog: in scope, on the list, no exclusion flag."""
    rows = session.exec(select(Item, Category).where(Item.category_id == Category.id)
                        .where(Item.independent == True)  # noqa: E712
                        .order_by(Item.code)).all()
    return [item for item, cat in rows if is_independent(item) and covers(auth, item, cat.code)]


def resolve_items(session: Session, auth: Authorization) -> list[str]:
    """The item codes a key binds to: scope resolved against today's catalog. A later catalog edit
    (an item moved into a category, or newly listed) does not widen a bound key: only an admin's
    re-binding with step-up does (docs/security.md, "scope resolved at binding")."""
    return [item.code for item in items_in_scope(session, auth)]


def pending_widening(session: Session, auth: Authorization, bound_items: list[str]) -> list[str]:
    """Codes the authorization covers in today's catalog that the bound key may not sign yet."""
    bound = set(bound_items)
    return [code for code in resolve_items(session, auth) if code not in bound]
