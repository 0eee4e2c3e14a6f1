"""The independent-item catalog (三(一), 三(三)): implementation-list fields, exclusion flags,
the independent list, and a revision for every change (author, time, reason)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.db import transaction
from app.models import Category, Department, Item, ItemRevision
from app.models.base import utcnow
from app.rules import audit, inputs
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN
from app.rules.people.scope import EXCLUSION_FLAGS

ITEM_TYPES = ("即办件", "承诺件")
TEXT_FIELDS = {  # field: (label, max length, required)
    "code": ("事项编码", 64, True), "name": ("事项名称", 200, True), "legal_basis": ("设定依据", 2000, True),
    "fee": ("收费", 200, False), "handling_form": ("办理形式", 100, False),
    "consult_phone": ("咨询电话", 50, False), "supervise_phone": ("监督投诉电话", 50, False),
    "permit_content": ("许可内容", 500, False),
}
EDITABLE = (*TEXT_FIELDS, "item_type", "category_code", "department_code", "conditions", "materials",
            "statutory_limit_days", "promised_limit_days", "validity_months", *EXCLUSION_FLAGS)


def snapshot(session: Session, item: Item) -> dict:
    """The item as officers know it, codes instead of ids: what a revision records."""
    data = item.model_dump(exclude={"id", "updated_at", "category_id", "department_id"})
    data["category_code"] = session.get(Category, item.category_id).code
    data["department_code"] = session.get(Department, item.department_id).code
    return data


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return isinstance(value, str) and value.strip() in ("1", "是", "true", "True", "on", "Y", "y")


def _as_days(value: Any, label: str) -> int:
    try:
        days = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        days = None
    if days is None or not 0 <= days <= 365:
        raise refuse("item.invalid", f"{label}须为 0–365 的工作日天数")
    return days


def _as_months(value: Any) -> int:
    try:
        months = int(str(value).strip() or 0) if not isinstance(value, bool) else None
    except ValueError:
        months = None
    if months is None or not 0 <= months <= 600:
        raise refuse("item.invalid", "许可有效期须为 0–600 个月（0 表示无有效期）")
    return months


def _lines(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def parse_materials(value: Any) -> list[dict]:
    """From a list of dicts, or text lines "名称|原件份数|复印件份数|必需(是/否)"."""
    if isinstance(value, list) and all(isinstance(m, dict) for m in value):
        rows = value
    else:
        rows = []
        for line in _lines(value):
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            rows.append({"name": parts[0], "originals": parts[1] if len(parts) > 1 else 1,
                         "copies": parts[2] if len(parts) > 2 else 0,
                         "required": parts[3] if len(parts) > 3 else "是"})
    materials = []
    for m in rows:
        name = str(m.get("name", "")).strip()
        try:
            originals, copies = int(m.get("originals", 0)), int(m.get("copies", 0))
        except (TypeError, ValueError):
            raise refuse("item.invalid", f"材料“{name}”的原件、复印件份数须为整数")
        if not name or len(name) > 200 or not (0 <= originals <= 20 and 0 <= copies <= 20) or originals + copies == 0:
            raise refuse("item.invalid", f"材料“{name or '（空）'}”须有名称，且原件或复印件至少一份")
        materials.append({"name": name, "originals": originals, "copies": copies,
                          "required": _as_bool(m.get("required", True))})
    return materials


def limit_text(days: int) -> str:
    return "当场办结" if days == 0 else f"{days} 个工作日"


def material_text(m: dict) -> str:
    parts = [f"原件{m['originals']}份" if m.get("originals") else "", f"复印件{m['copies']}份" if m.get("copies") else ""]
    return "，".join(p for p in parts if p) + ("" if m.get("required", True) else "（可选）")


def validity_text(months: int) -> str:
    """许可有效期 as officers and applicants read it; 0 = the permit has no validity period."""
    if not months:
        return "不设有效期"
    return f"{months // 12} 年" if months % 12 == 0 else f"{months} 个月"


def validate(session: Session, fields: dict, current: Optional[Item] = None) -> dict:
    """Checked, normalised values for an item; refuses with the first problem named."""
    if not isinstance(fields, dict):
        raise refuse("input.invalid", "参数无效")
    base = snapshot(session, current) if current else {}
    data = {**base, **{k: v for k, v in fields.items() if k in EDITABLE}}
    clean: dict = {}
    for field, (label, limit, required) in TEXT_FIELDS.items():
        text = str(data.get(field) or "").strip()
        if required and not text:
            raise refuse("item.invalid", f"请填写{label}")
        if len(text) > limit:
            raise refuse("item.invalid", f"{label}过长（不超过 {limit} 字）")
        clean[field] = text
    clean["fee"] = clean["fee"] or "不收费"
    clean["handling_form"] = clean["handling_form"] or "窗口办理"
    item_type = str(data.get("item_type") or "即办件").strip()
    if item_type not in ITEM_TYPES:
        raise refuse("item.invalid", f"办件类型须为{'或'.join(ITEM_TYPES)}")
    clean["item_type"] = item_type
    category = session.exec(select(Category).where(Category.code == str(data.get("category_code", "")).strip())).first()
    department = session.exec(select(Department).where(Department.code == str(data.get("department_code", "")).strip())).first()
    if category is None:
        raise refuse("item.invalid", f"审批门类“{data.get('category_code', '')}”不存在")
    if department is None:
        raise refuse("item.invalid", f"科室“{data.get('department_code', '')}”不存在")
    clean["category_id"], clean["department_id"] = category.id, department.id
    clean["conditions"] = _lines(data.get("conditions"))
    if not clean["conditions"]:
        raise refuse("item.invalid", "请至少填写一条受理条件（每条成为审查清单的一行）")
    clean["materials"] = parse_materials(data.get("materials"))
    if not clean["materials"]:
        raise refuse("item.invalid", "请至少填写一项申请材料")
    clean["statutory_limit_days"] = _as_days(data.get("statutory_limit_days", 20), "法定时限")
    clean["promised_limit_days"] = _as_days(data.get("promised_limit_days", 0), "承诺时限")
    if clean["promised_limit_days"] > clean["statutory_limit_days"]:
        raise refuse("item.invalid", "承诺时限不得超过法定时限")
    clean["validity_months"] = _as_months(data.get("validity_months", 0))
    for flag in EXCLUSION_FLAGS:
        clean[flag] = _as_bool(data.get(flag, False))
    return clean


def _check_listable(item_values: dict, independent: bool) -> None:
    flags = [label for flag, label in EXCLUSION_FLAGS.items() if item_values.get(flag)]
    if independent and flags:
        raise refuse("item.excluded", f"该事项{'、'.join(flags)}，不能列入独立审批事项清单")


def _record_revision(session: Session, item: Item, admin: Principal, reason: str, action: str) -> None:
    session.add(ItemRevision(item_id=item.id, revision=item.revision, snapshot=snapshot(session, item),
                             changed_by=admin.officer_id, reason=reason))
    audit.record(session, action, f"item:{item.id}", admin.officer_id, code=item.code, revision=item.revision,
                 independent=item.independent, reason=reason)


@audit_refusals("item.create")
def create_item(admin: Principal, fields: Any, reason: Any, independent: bool = False) -> Item:
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写变更原因")
    with transaction() as session:
        return _create(session, admin, fields, reason, independent)


def _create(session: Session, admin: Principal, fields: Any, reason: str, independent: bool) -> Item:
    values = validate(session, fields)
    _check_listable(values, independent)
    if session.exec(select(Item).where(Item.code == values["code"])).first():
        raise refuse("item.duplicate", f"事项编码 {values['code']} 已存在")
    item = Item(**values, independent=independent, revision=1)
    session.add(item)
    session.flush()
    _record_revision(session, item, admin, reason, "item.created")
    return item


@audit_refusals("item.update")
def update_item(admin: Principal, item_id: Any, fields: Any, reason: Any) -> Item:
    """A new revision; cases keep the revision that was in force when they were accepted."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写变更原因")
    with transaction() as session:
        item = _item(session, item_id)
        return _update(session, admin, item, fields, reason)


def _update(session: Session, admin: Principal, item: Item, fields: Any, reason: str) -> Item:
    values = validate(session, fields, item)
    if values["code"] != item.code:
        raise refuse("item.code_fixed", "事项编码不可修改：请新增事项")
    _check_listable(values, item.independent)
    if all(getattr(item, k) == v for k, v in values.items()):
        raise refuse("item.unchanged", "内容没有变化")
    for k, v in values.items():
        setattr(item, k, v)
    item.revision += 1
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    _record_revision(session, item, admin, reason, "item.revised")
    return item


@audit_refusals("item.listing")
def set_listed(admin: Principal, item_id: Any, independent: Any, reason: Any) -> Item:
    """Put an item on the independent list or take it off; off the list, the counter stops
    offering it and signing refuses it at once."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写变更原因")
    if not isinstance(independent, bool):
        raise refuse("input.invalid", "参数无效")
    with transaction() as session:
        item = _item(session, item_id)
        if item.independent == independent:
            raise refuse("item.unchanged", "事项已在清单内" if independent else "事项不在清单内")
        _check_listable(snapshot(session, item), independent)
        item.independent = independent
        item.revision += 1
        item.updated_at = utcnow()
        session.add(item)
        session.flush()
        _record_revision(session, item, admin, reason, "item.listed" if independent else "item.delisted")
        return item


def _item(session: Session, item_id: Any) -> Item:
    item_id = inputs.record_id(item_id)
    item = session.get(Item, item_id)
    if item is None:
        raise refuse("item.unknown", "事项不存在")
    return item


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    page: int
    pages: int


def search(principal: Principal, text: str = "", category_code: str = "", listed: str = "",
           page: int = 1, page_size: int = 20) -> Page:
    """Server-side search, filter and pagination (hundreds of items stay fast)."""
    principal.require(ADMIN)
    page_size = max(1, min(int(page_size), 100))
    with transaction() as session:
        query = select(Item, Category).join(Category, Item.category_id == Category.id)
        text = (text or "").strip()[:100]
        if text:
            like = f"%{text}%"
            query = query.where(or_(Item.code.like(like), Item.name.like(like)))
        if category_code:
            query = query.where(Category.code == category_code)
        if listed in ("yes", "no"):
            query = query.where(Item.independent == (listed == "yes"))
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        pages = max(1, math.ceil(total / page_size))
        page = max(1, min(int(page), pages))
        rows = session.exec(query.order_by(Item.code).offset((page - 1) * page_size).limit(page_size)).all()
        return Page(list(rows), total, page, pages)


def item_with_revisions(principal: Principal, item_id: Any) -> tuple[Item, dict, list[ItemRevision]]:
    principal.require(ADMIN)
    with transaction() as session:
        item = _item(session, item_id)
        revisions = session.exec(select(ItemRevision).where(ItemRevision.item_id == item.id)
                                 .order_by(ItemRevision.revision.desc())).all()
        return item, snapshot(session, item), list(revisions)


def revision_snapshot(session: Session, item_id: int, revision: int) -> Optional[dict]:
    row = session.exec(select(ItemRevision).where(ItemRevision.item_id == item_id,
                                                  ItemRevision.revision == revision)).first()
    return row.snapshot if row else None


def lookups(session: Session) -> tuple[list[Category], list[Department]]:
    return (list(session.exec(select(Category).order_by(Category.code))),
            list(session.exec(select(Department).order_by(Department.code))))
