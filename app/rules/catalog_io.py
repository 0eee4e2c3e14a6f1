"""The catalog as an Excel workbook (.xlsx), since bureaus keep these lists in spreadsheets.
Import is all or nothing: any bad row is reported with its row number and nothing is imported."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from sqlmodel import select

from app.db import transaction
from app.models import Category, Department, Item
from app.rules import audit
from app.rules import inputs
from app.rules.catalog import _create, _update
from app.rules.errors import Refused, refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.roles import ADMIN
from app.rules.scope import EXCLUSION_FLAGS

COLUMNS = [  # (header, field)
    ("事项编码", "code"), ("事项名称", "name"), ("审批门类编码", "category_code"), ("实施科室编码", "department_code"),
    ("办件类型", "item_type"), ("设定依据", "legal_basis"), ("受理条件（每行一条）", "conditions"),
    ("申请材料（每行：名称|原件份数|复印件份数|必需）", "materials"), ("法定时限（工作日）", "statutory_limit_days"),
    ("承诺时限（工作日，0=当场办结）", "promised_limit_days"), ("收费", "fee"), ("办理形式", "handling_form"),
    ("咨询电话", "consult_phone"), ("监督投诉电话", "supervise_phone"),
    *[(f"{label}（是/否）", flag) for flag, label in EXCLUSION_FLAGS.items()],
    ("列入独立审批清单（是/否）", "independent"),
]
MAX_ROWS = 5000


def export_xlsx(principal: Principal) -> bytes:
    principal.require(ADMIN)
    wb = Workbook()
    ws = wb.active
    ws.title = "独立审批事项清单"
    ws.append([h for h, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    with transaction() as session:
        cats = {c.id: c.code for c in session.exec(select(Category))}
        deps = {d.id: d.code for d in session.exec(select(Department))}
        for item in session.exec(select(Item).order_by(Item.code)):
            values = {**item.model_dump(), "category_code": cats[item.category_id],
                      "department_code": deps[item.department_id], "conditions": "\n".join(item.conditions),
                      "materials": "\n".join(f"{m['name']}|{m['originals']}|{m['copies']}|{'是' if m['required'] else '否'}"
                                             for m in item.materials)}
            ws.append([("是" if values[f] else "否") if isinstance(values[f], bool) else values[f] for _, f in COLUMNS])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _read_rows(data: bytes) -> list[tuple[int, dict]]:
    try:
        ws = load_workbook(BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception:
        raise refuse("import.unreadable", "无法读取文件：请上传 .xlsx 格式的事项清单")
    rows = ws.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    expected = [h for h, _ in COLUMNS]
    missing = [h for h in expected if h not in header]
    if missing:
        raise refuse("import.columns", f"表头缺少列：{'、'.join(missing)}（请先导出一份作为模板）")
    index = {field: header.index(h) for h, field in COLUMNS}
    parsed = []
    for number, row in enumerate(rows, start=2):
        if row is None or all(v in (None, "") for v in row):
            continue
        if len(parsed) >= MAX_ROWS:
            raise refuse("import.too_many", f"一次最多导入 {MAX_ROWS} 行")
        parsed.append((number, {field: (row[i] if i < len(row) else None) for field, i in index.items()}))
    if not parsed:
        raise refuse("import.empty", "文件中没有事项")
    return parsed


@audit_refusals("item.import")
def import_xlsx(admin: Principal, data: Any, reason: Any) -> tuple[int, int]:
    """Create new items and revise changed ones, in one transaction; returns (created, revised)."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写导入原因")
    if not isinstance(data, (bytes, bytearray)) or len(data) > 10 * 1024 * 1024:
        raise refuse("import.unreadable", "请上传不超过 10 MB 的 .xlsx 文件")
    rows = _read_rows(bytes(data))
    created = revised = 0
    seen: dict[str, int] = {}
    with transaction() as session:
        for number, row in rows:
            code = str(row.get("code") or "").strip()
            try:
                if code in seen:
                    raise refuse("import.duplicate", f"事项编码 {code} 与第 {seen[code]} 行重复")
                seen[code] = number
                listed = str(row.pop("independent") or "").strip() in ("是", "1", "Y", "y", "true", "TRUE")
                existing = session.exec(select(Item).where(Item.code == code)).first()
                if existing is None:
                    _create(session, admin, row, f"导入：{reason}", listed)
                    created += 1
                else:
                    if existing.independent != listed:
                        raise refuse("import.listing", "是否列入清单请在事项页面单独调整（须写明原因）")
                    try:
                        _update(session, admin, existing, row, f"导入：{reason}")
                        revised += 1
                    except Refused as exc:
                        if exc.code != "item.unchanged":
                            raise
            except Refused as exc:
                raise refuse("import.row", f"第 {number} 行：{exc.message}；未导入任何事项")
        audit.record(session, "item.imported", "catalog", admin.officer_id, created=created, revised=revised,
                     rows=len(rows), reason=reason)
    return created, revised

