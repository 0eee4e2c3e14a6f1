"""The catalog as an Excel workbook (.xlsx), since bureaus keep these lists in spreadsheets.
Import is all or nothing: any bad row is reported with its row number and nothing is imported.
Cells are data, never formulas, both ways; an upload is size-checked as a zip before it is parsed."""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from sqlmodel import select

from app.db import transaction
from app.models import Category, Department, Item
from app.rules import audit
from app.rules import inputs
from app.rules.catalog.items import _create, _update
from app.rules.errors import Refused, refuse
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.people.roles import ADMIN
from app.rules.people.scope import EXCLUSION_FLAGS

COLUMNS = [  # (header, field)
    ("事项编码", "code"), ("事项名称", "name"), ("审批门类编码", "category_code"), ("实施科室编码", "department_code"),
    ("办件类型", "item_type"), ("设定依据", "legal_basis"), ("受理条件（每行一条）", "conditions"),
    ("申请材料（每行：名称|原件份数|复印件份数|必需）", "materials"), ("法定时限（工作日）", "statutory_limit_days"),
    ("承诺时限（工作日，0=当场办结）", "promised_limit_days"), ("收费", "fee"), ("办理形式", "handling_form"),
    ("咨询电话", "consult_phone"), ("监督投诉电话", "supervise_phone"),
    ("许可内容", "permit_content"), ("许可有效期（月，0=无）", "validity_months"),
    *[(f"{label}（是/否）", flag) for flag, label in EXCLUSION_FLAGS.items()],
    ("列入独立审批清单（是/否）", "independent"),
]
OPTIONAL = {"permit_content", "validity_months"}  # added later: a sheet exported before may lack them
MAX_ROWS = 5000  # data rows in one import
MAX_SHEET_ROWS = 4 * MAX_ROWS  # rows scanned, blank ones included: a sheet padded with empty rows stops here
MAX_COLUMNS = 100  # columns read per row, whatever the sheet's own <dimension> claims
MAX_CELL_CHARS = 5000
# An .xlsx is a zip archive, and a few hundred KB of deflated XML can expand to gigabytes, which
# openpyxl would hold in memory (a decompression bomb): these caps are checked before it parses anything.
MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 64  # a catalog workbook has about ten parts
MAX_MEMBER_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_TOTAL_UNZIPPED_BYTES = 20 * 1024 * 1024
UNZIP_CHUNK_BYTES = 64 * 1024
# Text that Excel could take for a formula (formula injection), as the first character of a cell.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _literal(cell) -> None:
    """Write text as a string, never a formula (openpyxl would store "=…" as a live one); quotePrefix
    makes Excel show it as text and keep it text when edited. The text itself is not changed, so
    export → import round-trips exactly."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if cell.value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True


def table_xlsx(title: str, headers: list[str], rows: list[list]) -> bytes:
    """A one-sheet workbook of a plain table (bold header row), every text cell literal as above;
    numbers stay numbers. For the other exports of figures (e.g. the dashboard's tables)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]  # Excel's limit for a sheet name
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for row in ws.iter_rows():
        for cell in row:
            _literal(cell)
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = 16
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def export_xlsx(principal: Principal) -> bytes:
    principal.require(ADMIN)
    wb = Workbook()
    ws = wb.active
    ws.title = "独立审批事项清单"
    ws.append([h for h, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        _literal(cell)
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
            _literal(cell)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _too_large() -> Refused:
    limit = MAX_TOTAL_UNZIPPED_BYTES // (1024 * 1024)
    return refuse("import.too_large", f"文件解压后超过 {limit} MB，不像是事项清单：请检查文件或分批导入；未导入任何事项")


def _read_capped(member, cap: int) -> int:
    """The bytes a zip member really expands to, read in chunks and never kept: refuses as soon as
    they pass `cap`, whatever the member's header declares."""
    size = 0
    while chunk := member.read(UNZIP_CHUNK_BYTES):
        size += len(chunk)
        if size > cap:
            raise _too_large()
    return size


def _check_zip(data: bytes) -> None:
    """Refuse an upload that is not a plain zip within the caps, before openpyxl parses any of it."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except Exception:  # BadZipFile, or whatever else a malformed directory raises
        raise refuse("import.unreadable", "无法读取文件：请上传 .xlsx 格式的事项清单")
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise refuse("import.too_many_parts", f"文件内部结构异常（压缩包内超过 {MAX_ZIP_MEMBERS} 个部件），"
                                                  "不像是事项清单：请用导出的模板填写后再导入；未导入任何事项")
        if any(m.flag_bits & 0x1 for m in members):
            raise refuse("import.encrypted", "文件已加密，无法读取：请上传未加密的 .xlsx 文件；未导入任何事项")
        if (any(m.file_size > MAX_MEMBER_UNZIPPED_BYTES for m in members)
                or sum(m.file_size for m in members) > MAX_TOTAL_UNZIPPED_BYTES):
            raise _too_large()
        # The declared sizes are the file's own claim: count what each member really expands to.
        # (zipfile also stops at the declared size and then fails the CRC; the count holds regardless.)
        total = 0
        for m in members:
            try:
                with archive.open(m) as member:
                    total += _read_capped(member, min(MAX_MEMBER_UNZIPPED_BYTES, MAX_TOTAL_UNZIPPED_BYTES - total))
            except Refused:
                raise
            except Exception:  # BadZipFile (bad CRC), zlib.error, EOFError, unsupported compression, …
                raise refuse("import.corrupt", "文件已损坏（解压校验失败），无法读取：请重新导出或另存后再导入；未导入任何事项")


def _plain(value: Any) -> Any:
    """A cell's value as data: a formula is kept as its text (openpyxl gives "=…", or an object for
    array and data-table formulas), never evaluated."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return getattr(value, "text", None) or str(value)


def _checked_rows(ws):
    """(row number, values) for each sheet row, within the row, column and cell-length caps."""
    for number, row in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if number > MAX_SHEET_ROWS:
            raise refuse("import.too_many", f"表格超过 {MAX_SHEET_ROWS} 行（含空行）：一次最多导入 {MAX_ROWS} 行；未导入任何事项")
        values = [_plain(v) for v in row]
        if any(isinstance(v, str) and len(v) > MAX_CELL_CHARS for v in values):
            raise refuse("import.cell_too_long", f"第 {number} 行有单元格超过 {MAX_CELL_CHARS} 字，请检查内容；未导入任何事项")
        yield number, values


def _read_rows(data: bytes) -> list[tuple[int, dict]]:
    _check_zip(data)
    try:
        # data_only=False: a formula cell reads as its text, not as a value some spreadsheet computed.
        wb = load_workbook(BytesIO(data), read_only=True, data_only=False)
        try:
            return _parse(_checked_rows(wb.worksheets[0]))
        finally:
            wb.close()
    except Refused:
        raise
    except Exception:
        raise refuse("import.unreadable", "无法读取文件：请上传 .xlsx 格式的事项清单")


def _parse(rows) -> list[tuple[int, dict]]:
    header = [str(h or "").strip() for h in next(rows, (1, []))[1]]
    missing = [h for h, field in COLUMNS if h not in header and field not in OPTIONAL]
    if missing:
        raise refuse("import.columns", f"表头缺少列：{'、'.join(missing)}（请先导出一份作为模板）")
    index = {field: header.index(h) for h, field in COLUMNS if h in header}
    parsed = []
    for number, row in rows:
        if all(v in (None, "") for v in row):
            continue
        if len(parsed) >= MAX_ROWS:
            raise refuse("import.too_many", f"一次最多导入 {MAX_ROWS} 行；未导入任何事项")
        parsed.append((number, {field: (row[i] if i < len(row) else None) for field, i in index.items()}))
    if not parsed:
        raise refuse("import.empty", "文件中没有事项")
    return parsed


@audit_refusals("item.import")
def import_xlsx(admin: Principal, data: Any, reason: Any) -> tuple[int, int]:
    """Create new items and revise changed ones, in one transaction; returns (created, revised)."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写导入原因")
    # The page sends at most 700 KB; anything larger came from a hand-made client. zipfile reads
    # the whole central directory before the member cap applies, so bound the file itself first.
    if not isinstance(data, (bytes, bytearray)) or len(data) > MAX_UPLOAD_BYTES:
        raise refuse("import.unreadable", "请上传不超过 1 MB 的 .xlsx 文件")
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

