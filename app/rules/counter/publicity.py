"""双公示: approvals are public (行政许可法 第四十条) and go to the credit platforms (信用中国 and the
provincial 信用 site) within 7 working days of the decision (发改办财金〔2018〕424号).

The working group sees the approvals not yet published with their due dates, exports them in the
national 行政许可 公示 data standard's fields (Excel or CSV, the file they upload to the platform),
then records that the export was published: one `Publication` row per decision, all or nothing,
tied to the SHA-256 of the exported file. Nothing is ever deleted; a published decision cannot be
published again.

The data standard: the 行政许可 公示 data standard of 信用中国 that came with 发改办财金〔2018〕424号
(《关于进一步完善“信用中国”网站及地方信用门户网站行政许可和行政处罚等信用信息公示工作的通知》) — 28
fields, STANDARD_FIELDS below, in their order with the exchange codes (XK_XDR_MC … BZ) platforms
import by. Rules taken from it: 行政相对人类别 is 法人及非法人组织, 自然人 or 个体工商户; 证件类型 and
证件号码 are for natural persons ("为自然人时，必填"), 行政相对人代码 and 法定代表人 for legal persons
("为法人和其他组织时，必填"); 许可类别 is 普通, 特许, 认可, 核准, 登记 or 其他 (其他: name the category in
备注); dates are YYYY/MM/DD and 有效期至 2099/12/31 means 长期; 当前状态 1 = 有效, 2 = 无效. Source: field
lists, codes and field notes of platform integrations implementing the standard, found by search;
the standard's own text, and any 2021–2022 revision of it, were not retrieved — check the column
list against the provincial platform's import template before the first upload."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO, StringIO
from typing import Any, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import text
from sqlmodel import Session, select

from app import config
from app.db import transaction
from app.models import AuditEvent, Case, Category, Decision, Item, Officer, Publication
from app.models.base import utcnow
from app.rules import audit, personal_data
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.catalog.excel import FORMULA_PREFIXES, _literal as literal_cell
from app.rules.errors import Refused, refuse
from app.rules.counter.identity import normalize_id
from app.rules.principal import Principal
from app.rules.people.roles import ADMIN

DUE_WORKDAYS = 7  # 双公示: within 7 working days of the decision
MAX_BATCH = 1000  # decisions in one confirmation
PUBLICATION_LOCK = 7310002  # PostgreSQL advisory lock: one batch number at a time

# The standard's fields in order, with their exchange codes (see the module docstring).
STANDARD_FIELDS = (
    ("行政相对人名称", "XK_XDR_MC"), ("行政相对人类别", "XK_XDR_LB"),
    ("行政相对人代码_1（统一社会信用代码）", "XK_XDR_SHXYM"), ("行政相对人代码_2（工商注册号）", "XK_XDR_GSZC"),
    ("行政相对人代码_3（组织机构代码）", "XK_XDR_ZZJG"), ("行政相对人代码_4（税务登记号）", "XK_XDR_SWDJ"),
    ("行政相对人代码_5（事业单位证书号）", "XK_XDR_SYDW"), ("行政相对人代码_6（社会组织登记证号）", "XK_XDR_SHZZ"),
    ("法定代表人", "XK_FRDB"), ("法定代表人证件类型", "XK_FR_ZJLX"), ("法定代表人证件号码", "XK_FR_ZJHM"),
    ("证件类型", "XK_XDR_ZJLX"), ("证件号码", "XK_XDR_ZJHM"),
    ("行政许可决定文书名称", "XK_XKWS"), ("行政许可决定文书号", "XK_WSH"), ("许可类别", "XK_XKLB"),
    ("许可证书名称", "XK_XKZS"), ("许可编号", "XK_XKBH"), ("许可内容", "XK_NR"), ("许可决定日期", "XK_JDRQ"),
    ("有效期自", "XK_YXQZ"), ("有效期至", "XK_YXQZI"), ("许可机关", "XK_XKJG"), ("许可机关统一社会信用代码", "XK_XKJGDM"),
    ("当前状态", "XK_ZT"), ("数据来源单位", "XK_LYDW"), ("数据来源单位统一社会信用代码", "XK_LYDWDM"), ("备注", "BZ"),
)
STANDARD_COLUMNS = tuple(name for name, _ in STANDARD_FIELDS)
DUE_COLUMN = "公示期限（决定之日起7个工作日）"  # the bureau's own column, after the standard's
COLUMNS = (*STANDARD_COLUMNS, DUE_COLUMN)
LONG_TERM = "2099/12/31"
VALID, INVALID = "1", "2"
LICENCE_CLASS = "其他"  # the catalog records no 第十二条 class per item: 其他, with the category in 备注
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv"}
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class PendingApproval:
    decision_id: int
    document_number: str
    item_code: str
    item_name: str
    applicant_name: str
    decided_on: date
    due_on: date
    provisional: bool  # the due date runs into a year without an official holiday schedule
    overdue: bool


@dataclass(frozen=True)
class Export:
    filename: str
    data: bytes
    sha256: str
    decision_ids: list[int]
    mime_type: str


@dataclass(frozen=True)
class Batch:
    batch: str
    published_at: datetime
    published_by: str
    count: int
    late: int  # published after their due date
    late_numbers: list[str]
    export_sha256: str
    note: str


def due_date(session: Session, decided_on: date) -> tuple[date, bool]:
    """(due date, provisional): the decision's Beijing date + 7 working days."""
    return calendar.deadline(session, decided_on, DUE_WORKDAYS)


def _decided_on(decision: Decision) -> date:
    return decision.decided_at.astimezone(clock.BEIJING).date()


def _unpublished(session: Session) -> list[tuple[Decision, Case, Item]]:
    return list(session.exec(
        select(Decision, Case, Item).join(Case, Decision.case_id == Case.id).join(Item, Case.item_id == Item.id)
        .outerjoin(Publication, Publication.decision_id == Decision.id)
        .where(Decision.outcome == "approved", Publication.id.is_(None))).all())


def _pending(session: Session) -> list[tuple[PendingApproval, Decision, Case, Item]]:
    cal = calendar.load(session)  # what calendar.deadline() does, loaded once for the whole list
    today = clock.today()
    rows = []
    for decision, case, item in _unpublished(session):
        payload = _payload(decision)
        decided_on = _decided_on(decision)
        due, provisional = cal.add_workdays(decided_on, DUE_WORKDAYS)
        rows.append((PendingApproval(
            decision_id=decision.id, document_number=decision.document_number,
            item_code=payload.get("item", {}).get("code") or item.code,
            item_name=payload.get("item", {}).get("name") or item.name,
            applicant_name=payload.get("applicant", {}).get("name") or case.applicant_name,
            decided_on=decided_on, due_on=due, provisional=provisional, overdue=today > due), decision, case, item))
    rows.sort(key=lambda r: (r[0].due_on, r[0].decided_on, r[0].decision_id))
    return rows


def pending(principal: Principal) -> list[PendingApproval]:
    """Every approval not yet published, the most urgent first."""
    principal.require(ADMIN)
    with transaction() as session:
        return [row for row, *_ in _pending(session)]


def _payload(decision: Decision) -> dict:
    return json.loads(decision.payload)


def _slash(value: Any) -> str:
    """An ISO date (or datetime) as the standard writes dates: YYYY/MM/DD; '' when absent."""
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    if not isinstance(value, str) or not value.strip():
        return ""
    try:
        return date.fromisoformat(value.strip()[:10]).strftime("%Y/%m/%d")
    except ValueError:
        return ""


def standard_row(payload: dict, category_name: str, legal_person_code: Optional[str], organ_code: str,
                 due_on: date, provisional: bool = False, today: Optional[date] = None) -> list[str]:
    """One approval as a row of COLUMNS, from the signed decision content.

    Natural persons (any ID type but 统一社会信用代码): the standard leaves the 行政相对人代码 and
    法定代表人 columns empty and asks for 证件类型 and 证件号码 — given here only masked, as stored
    (1101**********002X): an ID number is personal information and is never published in full.
    Legal persons and 个体工商户 are identified by their 统一社会信用代码, a public registration
    number (`legal_person_code`, the full code); 证件类型/证件号码 stay empty for them. 法定代表人 is
    not collected at the counter and stays empty."""
    today = today or clock.today()
    applicant = payload.get("applicant") or {}
    item = payload.get("item") or {}
    permit = payload.get("permit") or {}  # optional: older decisions have none
    decided_on = _slash(payload.get("decided_at"))
    valid_from = _slash(permit.get("valid_from")) or decided_on
    valid_until = _slash(permit.get("valid_until")) or LONG_TERM
    expired = valid_until != LONG_TERM and date.fromisoformat(valid_until.replace("/", "-")) < today
    content = str(permit.get("content") or "").strip() or f"准予行政许可：{item.get('name', '')}"
    id_type = applicant.get("id_type", "")
    legal = id_type in personal_data.LEGAL_PERSON_ID_TYPES
    if legal:
        kind = "个体工商户" if (legal_person_code or "").startswith("92") else "法人及非法人组织"
        codes = [legal_person_code or "", "", "", "", "", ""]
        person_id = ["", ""]
    else:
        kind = "自然人"
        codes = ["", "", "", "", "", ""]
        person_id = [id_type, applicant.get("id_number_masked", "")]
    values = {
        "行政相对人名称": applicant.get("name", ""), "行政相对人类别": kind,
        "法定代表人": "", "法定代表人证件类型": "", "法定代表人证件号码": "",
        "证件类型": person_id[0], "证件号码": person_id[1],
        "行政许可决定文书名称": payload.get("title", ""), "行政许可决定文书号": payload.get("document_number", ""),
        "许可类别": LICENCE_CLASS, "许可证书名称": "", "许可编号": "", "许可内容": content,
        "许可决定日期": decided_on, "有效期自": valid_from, "有效期至": valid_until,
        "许可机关": payload.get("organ", ""), "许可机关统一社会信用代码": organ_code,
        "当前状态": INVALID if expired else VALID,
        "数据来源单位": payload.get("organ", ""), "数据来源单位统一社会信用代码": organ_code,
        "备注": f"许可类别：{category_name}类（事项 {item.get('code', '')}）",
        DUE_COLUMN: due_on.strftime("%Y/%m/%d") + ("（暂定）" if provisional else ""),
    }
    for n, code in enumerate(codes):
        values[STANDARD_COLUMNS[2 + n]] = code
    return [str(values[c]) for c in COLUMNS]


def csv_cell(value: str) -> str:
    """A CSV cell Excel cannot take for a formula: text starting with = + - @ or a tab/CR gets a
    leading apostrophe (OWASP's CSV-injection advice; a CSV has no 'text' cell type to set)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _xlsx(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "行政许可"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            literal_cell(cell)  # text, never a formula (as the catalog export does)
            if cell.row > 1:
                cell.alignment = Alignment(vertical="top")
    for column in ws.columns:
        ws.column_dimensions[column[0].column_letter].width = 18
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # with BOM: Excel opens it as UTF-8


def organ_credit_code() -> str:
    """The bureau's 统一社会信用代码 (APP_ORGAN_CREDIT_CODE), required by the standard."""
    code = config.settings.organ_credit_code.strip().upper()
    if not code:
        raise refuse("publicity.organ_code_missing", "未设置本局统一社会信用代码（APP_ORGAN_CREDIT_CODE），"
                                                     "公示数据的“许可机关统一社会信用代码”不能为空：请系统管理员设置后再导出")
    try:
        return normalize_id("统一社会信用代码", code)[1]
    except Refused:
        raise refuse("publicity.organ_code_invalid", "本局统一社会信用代码（APP_ORGAN_CREDIT_CODE）有误（校验位不符），"
                                                     "请系统管理员更正后再导出")


def export(principal: Principal, fmt: Any) -> Export:
    """The pending approvals as the file to publish; the export is audited with its SHA-256 and the
    decisions in it, so that a confirmation can only name decisions that were really exported."""
    principal.require(ADMIN)
    if not isinstance(fmt, str) or fmt not in FORMATS:  # any value a client sends
        raise refuse("input.invalid", "请选择导出格式：Excel 或 CSV")
    organ_code = organ_credit_code()
    with transaction() as session:
        pending_rows = _pending(session)
        if not pending_rows:
            raise refuse("publicity.nothing", "没有待公示的准予许可决定")
        categories = {c.id: c.name for c in session.exec(select(Category))}
        rows = []
        for row, decision, case, item in pending_rows:
            payload = _payload(decision)
            code = None
            if payload.get("applicant", {}).get("id_type") in personal_data.LEGAL_PERSON_ID_TYPES:
                code = personal_data.decrypt(case.applicant_id_encrypted)  # a public registration number
            rows.append(standard_row(payload, categories.get(item.category_id, ""), code, organ_code, row.due_on,
                                     row.provisional))
        data = _xlsx(rows) if fmt == "xlsx" else _csv(rows)
        sha = hashlib.sha256(data).hexdigest()
        ids = [row.decision_id for row, *_ in pending_rows]
        audit.record(session, "publicity.exported", f"publicity-export:{sha}", principal.officer_id, format=fmt,
                     decision_ids=ids, count=len(ids))
    stamp = clock.now_beijing().strftime("%Y%m%d-%H%M%S")
    return Export(f"双公示-行政许可-{stamp}.{fmt}", data, sha, ids, FORMATS[fmt])


def _ids(value: Any) -> list[int]:
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise refuse("publicity.no_selection", "没有要登记的决定：请先导出待公示清单")
    if len(value) > MAX_BATCH or len(set(value)) != len(value):
        raise refuse("input.invalid", "参数无效")
    return list(value)


def _next_batch(session: Session, on: date) -> str:
    prefix = f"GS{on:%Y%m%d}-"
    used = session.exec(select(Publication.batch).where(Publication.batch.startswith(prefix))).all()
    last = max((int(b[len(prefix):]) for b in used if b[len(prefix):].isdigit()), default=0)
    return f"{prefix}{last + 1:03d}"


def confirm_published(principal: Principal, decision_ids: Any, export_sha256: Any, note: Any = "") -> Batch:
    """Record that the exported approvals were published: one row each, all or nothing. Refuses an
    unknown decision, one that is not an approval, one already published, an export that was never
    made, and a decision that was not in that export."""
    principal.require(ADMIN)
    ids = _ids(decision_ids)
    sha = export_sha256.strip().lower() if isinstance(export_sha256, str) else ""
    if not SHA256_HEX.match(sha):
        raise refuse("publicity.export_unknown", "未找到导出文件的记录：请先导出待公示清单，公示后再确认；未登记任何公示")
    note = note.strip()[:500] if isinstance(note, str) else ""
    with transaction() as session:
        if session.get_bind().dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
            session.exec(text(f"SELECT pg_advisory_xact_lock({PUBLICATION_LOCK})"))
        decisions = []
        for decision_id in ids:
            decision = session.get(Decision, decision_id)
            if decision is None:
                raise refuse("publicity.unknown", f"决定（编号 {decision_id}）不存在，未登记任何公示")
            if decision.outcome != "approved":
                raise refuse("publicity.not_approved",
                             f"{decision.document_number} 不是准予许可决定，无需双公示；未登记任何公示")
            done = session.exec(select(Publication).where(Publication.decision_id == decision_id)).first()
            if done is not None:
                raise refuse("publicity.already_published",
                             f"{decision.document_number} 已于 {clock.local(done.published_at)} 公示"
                             f"（批次 {done.batch}）；未登记任何公示")
            decisions.append(decision)
        exported = session.exec(select(AuditEvent).where(AuditEvent.action == "publicity.exported",
                                                         AuditEvent.subject == f"publicity-export:{sha}")).first()
        if exported is None:
            raise refuse("publicity.export_unknown", "未找到该导出文件的记录：请重新导出，公示后再确认；未登记任何公示")
        in_export = set(exported.details.get("decision_ids", []))
        outside = [d.document_number for d in decisions if d.id not in in_export]
        if outside:
            raise refuse("publicity.not_in_export", f"{'、'.join(outside)} 不在所导出的文件中；未登记任何公示")
        now = utcnow()
        batch = _next_batch(session, now.astimezone(clock.BEIJING).date())
        late, cal = [], calendar.load(session)
        for decision in decisions:
            due, _ = cal.add_workdays(_decided_on(decision), DUE_WORKDAYS)
            session.add(Publication(decision_id=decision.id, batch=batch, published_at=now,
                                    published_by=principal.officer_id, due_on=due, export_sha256=sha))
            if now.astimezone(clock.BEIJING).date() > due:
                late.append(decision.document_number)
        session.flush()
        audit.record(session, "publicity.published", f"publicity:{batch}", principal.officer_id,
                     decision_ids=ids, document_numbers=[d.document_number for d in decisions],
                     export_sha256=sha, late=late, note=note or None)
        officer = session.get(Officer, principal.officer_id)
        return Batch(batch, now, f"{officer.name}（{officer.staff_no}）", len(decisions), len(late), late, sha, note)


def history(principal: Principal, limit: int = 100) -> list[Batch]:
    """The batches published, newest first: when, by whom, how many, which were late."""
    principal.require(ADMIN)
    with transaction() as session:
        rows = session.exec(select(Publication, Decision, Officer)
                            .join(Decision, Publication.decision_id == Decision.id)
                            .join(Officer, Publication.published_by == Officer.id)
                            .order_by(Publication.published_at.desc(), Publication.id)).all()
        notes = {e.subject.removeprefix("publicity:"): e.details.get("note", "")
                 for e in session.exec(select(AuditEvent).where(AuditEvent.action == "publicity.published"))}
    batches: dict[str, dict] = {}
    for publication, decision, officer in rows:
        b = batches.setdefault(publication.batch, {
            "at": publication.published_at, "by": f"{officer.name}（{officer.staff_no}）", "count": 0, "late": [],
            "sha": publication.export_sha256})
        b["count"] += 1
        if publication.published_at.astimezone(clock.BEIJING).date() > publication.due_on:
            b["late"].append(decision.document_number)
    return [Batch(name, b["at"], b["by"], b["count"], len(b["late"]), b["late"], b["sha"], notes.get(name, ""))
            for name, b in list(batches.items())[:limit]]
