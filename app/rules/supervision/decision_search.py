"""Auditors find signed decisions: by Beijing date range, approver, item, outcome, 文号, case
number and applicant (part of the name), one page at a time, newest first (decided_at desc, id
desc: a stable order, so paging never skips or repeats a decision). The whole result can be taken
as an Excel list (at most MAX_EXPORT_ROWS rows) or, in app.rules.supervision.decision_archive, as a ZIP of the
PDFs; both are served once over HTTP (app.rules.supervision.exports) and audited when they are handed over.

Built for a million decisions (bench/bench_search.py, indexes in migration 0010), every search
does bounded work: results are counted up to COUNT_CAP (a broader search says "10,000 条以上" and
pages through the newest 10,000: narrow it by date to reach older ones); the page's ids are found
first on the narrowest index (index-only on PostgreSQL when only decision columns are filtered),
then only those rows are read with their case, item and approver; a page past the middle of a
counted result is read from the other end of the index, so the last page costs what the first
does. The applicant's name is matched on PostgreSQL through a GIN index of its two-character
pieces (zd_bigrams, migration 0010), so a search needs at least two characters."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator, Optional

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func, text
from sqlmodel import Session, select

from app.db import transaction
from app.models import Case, Decision, Item, Officer
from app.rules.calendar import clock
from app.rules.supervision import exports
from app.rules.catalog.excel import _literal as literal_cell  # text cells, never formulas
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.people.roles import APPROVER, AUDITOR

OUTCOMES = {"approved": "准予许可", "refused": "不予许可", "not_accepted": "不予受理"}
PAGE_SIZES = (20, 50, 100)
MAX_PAGE_SIZE = 100
MAX_EXPORT_ROWS = 50_000  # one Excel list; beyond it, narrow the search
COUNT_CAP = 10_000  # results counted (and paged) per search
BROAD_SHARE = 0.1  # an applicant term at least this common is scanned for in time order (PostgreSQL)
MIN_APPLICANT = 2  # characters of an applicant's name to search for
MAX_TEXT = {"document_number": 100, "case_no": 32, "applicant": 100}
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_COLUMNS = ("文号", "受理编号", "事项编码", "事项名称", "申请人", "证件号（脱敏）", "审批人", "工号", "结果",
                  "签署时间（北京时间）", "决定书 SHA-256")
_DIGITS = re.compile(r"^[0-9]{1,11}$")


@dataclass(frozen=True)
class Filters:
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    approver_id: Optional[int] = None
    item_id: Optional[int] = None
    outcome: str = ""
    document_number: str = ""
    case_no: str = ""
    applicant: str = ""

    def as_dict(self) -> dict:
        """The filters set, as JSON values (for the audit log and the manifest)."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v not in (None, "")}

    @property
    def needs_case(self) -> bool:
        return bool(self.item_id or self.case_no or self.applicant)


@dataclass(frozen=True)
class Row:
    decision_id: int
    document_number: str
    case_no: str
    item_code: str
    item_name: str
    applicant_name: str
    applicant_id_masked: str
    approver_name: str
    approver_staff_no: str
    outcome: str
    decided_at: datetime
    pdf_sha256: str
    pdf_size: int

    @property
    def outcome_name(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)

    @property
    def approver(self) -> str:
        return f"{self.approver_name}（{self.approver_staff_no}）"


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int  # COUNT_CAP when capped
    page: int
    pages: int
    page_size: int
    capped: bool = False  # more than COUNT_CAP decisions match


def _record_id(value: Any, what: str) -> Optional[int]:
    """An id chosen in a select: '' (any), an int, or digits; anything else is refused."""
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()) and int(value) > 0:
        return int(value)
    raise refuse("search.invalid", f"{what}选择无效，请重新选择")


def _day(value: Any, label: str) -> Optional[date]:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise refuse("search.invalid_date", f"{label}须为日期（如 2025-09-01）")
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise refuse("search.invalid_date", f"{label}须为日期（如 2025-09-01）")
    if not EARLIEST <= day <= LATEST:
        raise refuse("search.invalid_date", f"{label}须在 {EARLIEST.year} 年至 {LATEST.year} 年之间")
    return day


def _text(value: Any, field: str, label: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise refuse("search.invalid", f"{label}无效")
    text = " ".join(value.split())  # trimmed, inner whitespace runs as one space
    if len(text) > MAX_TEXT[field]:
        raise refuse("search.invalid", f"{label}过长（不超过 {MAX_TEXT[field]} 字）")
    return text


def parse_filters(form: Any) -> Filters:
    """The search form as a client sent it (any values): checked, or refused with the reason."""
    if not isinstance(form, dict):
        form = {}
    date_from, date_to = _day(form.get("date_from"), "起始日期"), _day(form.get("date_to"), "截止日期")
    if date_from and date_to and date_from > date_to:
        raise refuse("search.invalid_date", "起始日期不能晚于截止日期")
    outcome = form.get("outcome") or ""
    if outcome not in ("", *OUTCOMES):
        raise refuse("search.invalid", "决定结果选择无效，请重新选择")
    applicant = _text(form.get("applicant"), "applicant", "申请人")
    if applicant and len(applicant) < MIN_APPLICANT:
        raise refuse("search.applicant_short", f"申请人请至少输入 {MIN_APPLICANT} 个字")
    return Filters(date_from=date_from, date_to=date_to, approver_id=_record_id(form.get("approver_id"), "审批人"),
                   item_id=_record_id(form.get("item_id"), "事项"), outcome=outcome,
                   document_number=_text(form.get("document_number"), "document_number", "文号"),
                   case_no=_text(form.get("case_no"), "case_no", "受理编号"), applicant=applicant)


def page_size(value: Any) -> int:
    size = _record_id(value, "每页条数") if not isinstance(value, int) or isinstance(value, bool) else value
    if size is None:
        return PAGE_SIZES[0]
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise refuse("search.invalid", f"每页最多 {MAX_PAGE_SIZE} 条")
    return size


def _beijing_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=clock.BEIJING)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def bigrams(text: str) -> list[str]:
    """The distinct two-character pieces of a text, lower-cased, as zd_bigrams (migration 0010)."""
    text = text.lower()
    return sorted({text[i:i + 2] for i in range(max(1, len(text) - 1))})


@dataclass(frozen=True)
class _Plan:
    dialect: str
    broad: bool  # the applicant term is common: scan in time order rather than through its pieces


def _plan(session: Session, f: Filters) -> _Plan:
    dialect = session.get_bind().dialect.name
    return _Plan(dialect, dialect == "postgresql" and bool(f.applicant) and _share(session, f.applicant) >= BROAD_SHARE)


def _share(session: Session, term: str) -> float:
    """At most this share of cases hold the term, by PostgreSQL's statistics of the index of pieces
    (its most common pieces and their frequencies; any other piece is rarer than the last of them)."""
    row = session.exec(text("SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
                            "WHERE tablename = 'ix_case_file_applicant_bigrams' AND attname = 'zd_bigrams'")).first()
    if row is None or not row[0]:
        return 0.0  # not analysed yet: a young table, the index is right
    frequencies = dict(zip(row[0], row[1]))
    rare = min(row[1][:len(row[0])])
    return min(frequencies.get(piece, rare) for piece in bigrams(term))


def _matching(f: Filters, plan: _Plan, newest_first: bool = True):
    """SELECT the case ids of the matching decisions, in result order: decided_at, then the case's
    id (a case has at most one decision, so this is a total order; newest first by default).

    Without a case filter (item, applicant, case number) the search runs on the decision's indexes
    (decided_at, case_id), (approver_id and/or outcome, decided_at, case_id), index-only. With one
    it runs on case_file alone: a decided case repeats its decision's time, approver and outcome
    (written in the decision's own transaction, never changed after: tests/unit/test_decision_search
    checks it for every kind of decision), so case_file(item_id, decided_at, id) and
    case_file(decided_at, id), both including approver_id and outcome, find the candidates in order
    without joining a decision per candidate. The applicant's name goes through the GIN index of its
    two-character pieces, unless the term is common (`_share`): then the time-ordered index is
    walked and ILIKE tested on each, which reaches a page of a common word long before the index
    could list all its cases."""
    low = _beijing_midnight(f.date_from) if f.date_from else None
    high = _beijing_midnight(f.date_to + timedelta(days=1)) if f.date_to else None
    if not f.needs_case:
        query, at, approver, outcome = select(Decision.case_id), Decision.decided_at, Decision.approver_id, Decision.outcome
        key = (Decision.decided_at, Decision.case_id)
        if f.document_number:
            query = query.where(Decision.document_number == f.document_number)
    else:
        query, at, approver, outcome = select(Case.id), Case.decided_at, Case.approver_id, Case.outcome
        key = (Case.decided_at, Case.id)
        query = query.where(Case.decided_at.is_not(None))
        if f.document_number:
            query = query.join(Decision, Decision.case_id == Case.id).where(Decision.document_number == f.document_number)
        if f.item_id:
            query = query.where(Case.item_id == f.item_id)
        if f.case_no:
            query = query.where(Case.case_no == f.case_no.upper())
        if f.applicant:
            if plan.dialect == "postgresql" and not plan.broad:  # the name's pieces hold the term's (GIN index)
                query = query.where(func.zd_bigrams(Case.applicant_name).op("@>")(func.zd_bigrams(f.applicant)))
            # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite
            query = query.where(Case.applicant_name.ilike(f"%{_like_escape(f.applicant)}%", escape="\\"))
    if low:
        query = query.where(at >= low)
    if high:
        query = query.where(at < high)
    if f.approver_id:
        query = query.where(approver == f.approver_id)
    if f.outcome:
        query = query.where(outcome == f.outcome)
    return query.order_by(*((k.desc() for k in key) if newest_first else key))


def count(session: Session, f: Filters, cap: int = COUNT_CAP, plan: _Plan | None = None) -> int:
    """Matching decisions, counted up to cap + 1 (so the work stays bounded however broad the search)."""
    matching = _matching(f, plan or _plan(session, f)).order_by(None).limit(cap + 1).subquery()
    return session.exec(select(func.count()).select_from(matching)).one()


def _keys(session: Session, f: Filters, offset: int, limit: int, newest_first: bool = True,
          plan: _Plan | None = None) -> list[int]:
    """Case ids of the matching decisions at [offset, offset + limit) of the order."""
    query = _matching(f, plan or _plan(session, f), newest_first).offset(offset).limit(limit)
    return list(session.exec(query).all())


def _page_keys(session: Session, f: Filters, total: int, offset: int, limit: int, plan: _Plan) -> list[int]:
    """The page at [offset, offset+limit) of a result of `total`; a page in the older half is read
    newest-last from the other end (offset counted from there) and turned round."""
    n = max(0, min(limit, total - offset))
    if n == 0:
        return []
    if offset <= total - offset - n:
        return _keys(session, f, offset, n, plan=plan)
    return list(reversed(_keys(session, f, total - offset - n, n, newest_first=False, plan=plan)))


def _rows_query():
    return (select(Decision.id, Decision.document_number, Case.case_no, Item.code, Item.name, Case.applicant_name,
                   Case.applicant_id_masked, Officer.name, Officer.staff_no, Decision.outcome, Decision.decided_at,
                   Decision.pdf_sha256, Decision.pdf_size)
            .join(Case, Decision.case_id == Case.id).join(Item, Case.item_id == Item.id)
            .join(Officer, Decision.approver_id == Officer.id))


def rows_by_case(session: Session, case_ids: list[int]) -> list[Row]:
    """The decisions of these cases, in the order given."""
    if not case_ids:
        return []
    found = {r[-1]: Row(*r[:-1]) for r in session.exec(_rows_query().add_columns(Case.id)
                                                        .where(Decision.case_id.in_(case_ids))).all()}
    return [found[i] for i in case_ids if i in found]


def search(principal: Principal, filters: Any = None, page: Any = 1, size: Any = PAGE_SIZES[0]) -> Page:
    """One page of the decisions matching the filters (a form dict or Filters), newest first."""
    principal.require(AUDITOR)
    f = filters if isinstance(filters, Filters) else parse_filters(filters)
    size = page_size(size)
    page = page if isinstance(page, int) and not isinstance(page, bool) else (_record_id(page, "页码") or 1)
    with transaction() as session:
        plan = _plan(session, f)
        total = count(session, f, plan=plan)
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
        pages = max(1, math.ceil(total / size))
        page = max(1, min(page, pages))
        offset = (page - 1) * size
        keys = (_keys(session, f, offset, min(size, total - offset), plan=plan) if capped
                else _page_keys(session, f, total, offset, size, plan))
        rows = rows_by_case(session, keys)
    return Page(rows, total, page, pages, size, capped)


def matching_keys(session: Session, f: Filters, cap: int) -> list[int]:
    """The case ids of the matching decisions, newest first; refused when none or more than cap."""
    ids = _keys(session, f, 0, cap + 1)
    if not ids:
        raise refuse("search.empty", "没有符合条件的决定")
    if len(ids) > cap:
        raise refuse("search.too_many", f"符合条件的决定超过 {cap:,} 条：请缩小日期范围或增加条件后分批导出")
    return ids


def rows_in_batches(case_ids: list[int], batch: int = 1000) -> Iterator[list[Row]]:
    """The decisions of these cases in their order, a batch per short transaction: memory stays flat
    over 50,000 rows, and SQLite's write lock (every transaction here takes it) is never held long."""
    for start in range(0, len(case_ids), batch):
        with transaction() as session:
            rows = rows_by_case(session, case_ids[start:start + batch])
        yield rows


def export_xlsx(principal: Principal, filters: Any) -> exports.Prepared:
    """The whole result as an Excel list (text cells only), written to the export folder in
    openpyxl's write-only mode; handed over once by app.rules.supervision.exports and audited then."""
    principal.require(AUDITOR)
    f = filters if isinstance(filters, Filters) else parse_filters(filters)
    with transaction() as session:
        keys = matching_keys(session, f, MAX_EXPORT_ROWS)
    file_id, part = exports.new_file(".xlsx")
    try:
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("决定查询结果")
        for letter, width in zip("ABCDEFGHIJK", (26, 20, 18, 30, 30, 22, 16, 10, 10, 18, 66)):
            ws.column_dimensions[letter].width = width
        ws.append([_cell(ws, h, bold=True) for h in EXPORT_COLUMNS])
        written = 0
        for rows in rows_in_batches(keys):
            for r in rows:
                ws.append([_cell(ws, v) for v in (r.document_number, r.case_no, r.item_code, r.item_name,
                                                   r.applicant_name, r.applicant_id_masked, r.approver_name,
                                                   r.approver_staff_no, r.outcome_name, clock.local(r.decided_at),
                                                   r.pdf_sha256)])
                written += 1
        wb.save(part)
    except BaseException:
        exports.discard(part)
        raise
    stamp = clock.now_beijing().strftime("%Y%m%d-%H%M%S")
    return exports.finish(principal, file_id, part, filename=f"决定查询结果-{stamp}-{written}条.xlsx",
                          mime_type=XLSX_MIME, count=written, action="decision.list_exported",
                          details={"filters": f.as_dict()})


def _cell(ws, value: str, bold: bool = False):
    cell = WriteOnlyCell(ws, value=value)
    literal_cell(cell)
    if bold:
        cell.font = Font(bold=True)
    return cell


def approvers(principal: Principal) -> list[tuple[int, str]]:
    """(id, 'name（staff_no）') of everyone who is or was an approver, or signed a decision."""
    principal.require(AUDITOR)
    with transaction() as session:
        signed = set(session.exec(select(Decision.approver_id).distinct()).all())
        officers = session.exec(select(Officer).order_by(Officer.staff_no)).all()
        return [(o.id, f"{o.name}（{o.staff_no}）" + ("（已离岗）" if o.status != "active" else ""))
                for o in officers if APPROVER in (o.roles or []) or o.id in signed]


def items(principal: Principal) -> list[tuple[int, str]]:
    principal.require(AUDITOR)
    with transaction() as session:
        return [(i.id, f"{i.code} {i.name}") for i in session.exec(select(Item).order_by(Item.code)).all()]
