"""Quarterly spot check (七(二)): at least ceil(20%) of each approver's decided cases, drawn so that
nobody can choose them, reviewed against a checklist, findings rectified and closed with evidence.

1. **Commit.** After the quarter (Beijing dates) has ended, an auditor fixes the population: every
   decision of the quarter (all outcomes), ordered by approver staff_no, decided_at, case id. Its
   canonical file (app/rules/supervision/spot_draw.py) and SHA-256 are stored and on the audit log before any
   seed exists. One live check per quarter.
2. **Seed ceremony and draw.** Afterwards a seed of ≥ 20 decimal digits (dice read aloud) is entered
   with a note naming the witnesses; the draw combines it with the committed digest. Anyone re-runs
   it from the exported population file and the seed (`python -m app.cli spotcheck draw`).
3. **Review.** Each drawn case against CHECKLIST → 合格 / 瑕疵 / 错误; for 瑕疵 and 错误 a rectification
   request due in 15 working days (the bureau's calendar) unless another date is set; the approver
   reports what was done (/rectifications); an auditor closes it with evidence. A 错误 may propose
   correction or revocation (行政许可法 第六十九条), recorded in the checklist; issuing that document
   is a separate procedure.
4. **Redraw.** With a reason: the check is superseded (kept), the quarter's population committed
   again, and a new seed ceremony is needed.

Nothing is deleted; every step is audited, and spot-check refusals too (they concern supervision)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, Callable, Optional, TypeVar

from sqlalchemy import text
from sqlmodel import Session, select

from app.db import transaction
from app.models import Case, CaseEvent, Decision, Item, Officer, SpotCheck, SpotCheckReview
from app.models.base import utcnow
from app.rules import audit, inputs
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.supervision import spot_draw
from app.rules.errors import Refused, refuse
from app.rules.principal import Principal
from app.rules.people.roles import APPROVER, AUDITOR

RATE_PERCENT = 20
RECTIFICATION_WORKDAYS = 15
SPOTCHECK_LOCK = 7310010  # PostgreSQL advisory lock: one spot-check write at a time
CHECKLIST = (("materials_complete", "受理材料齐全"), ("opinion_clear", "审查意见明确"),
             ("basis_correct", "决定依据正确"), ("on_time", "在承诺时限内办结"),
             ("documents_standard", "文书规范"), ("signature_valid", "签名有效"))
PROPOSE_CORRECTION = "propose_correction"  # in the review's checklist: 第六十九条 correction proposed
RESULTS = {"pass": "合格", "flaw": "瑕疵", "error": "错误"}
STATES = {"committed": "已固定总体，待摇号", "drawn": "已抽取", "superseded": "已作废（已重抽）"}
OUTCOMES = {"approved": "准予许可", "refused": "不予许可", "not_accepted": "不予受理"}
EVENT_KINDS = ("spot_check_reviewed", "spot_check_reported", "spot_check_closed")
MAX_TEXT = 2000

F = TypeVar("F", bound=Callable)


def _audited(action: str) -> Callable[[F], F]:
    """A spot-check refusal (someone tried to review their own case, a case outside the sample, to
    close without evidence…) is written to the audit log after the refused work rolled back."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(principal: Principal, *args, **kwargs):
            try:
                return fn(principal, *args, **kwargs)
            except Refused as exc:
                if exc.code.startswith("spotcheck."):
                    with transaction() as session:
                        audit.record(session, "refused", action, principal.officer_id, code=exc.code,
                                     message=exc.message)
                raise

        return inner  # type: ignore[return-value]

    return wrap


# ---------------------------------------------------------------- quarters and the population


def quarter_bounds(quarter: Any) -> tuple[date, date]:
    """(first day, first day of the next quarter), Beijing dates."""
    quarter = spot_draw.check_quarter(quarter)
    year, q = int(quarter[:4]), int(quarter[5])
    start = date(year, 3 * q - 2, 1)
    end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, end


def last_ended_quarter(today: date) -> str:
    q = (today.month - 1) // 3 + 1
    return f"{today.year - 1}Q4" if q == 1 else f"{today.year}Q{q - 1}"


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=clock.BEIJING)


def population_rows(session: Session, quarter: str) -> list[dict]:
    """Every decision of the quarter, in canonical order: approver staff_no, decided_at, case id.
    The database orders by time and id (no collation involved); a stable sort by staff_no here
    then gives the canonical order whatever the database's collation."""
    start, end = quarter_bounds(quarter)
    rows = session.connection().execute(  # Core rows: half the time of ORM rows for a big quarter
        select(Decision.case_id, Case.case_no, Decision.approver_id, Officer.staff_no)
        .join(Case, Decision.case_id == Case.id).join(Officer, Decision.approver_id == Officer.id)
        .where(Decision.decided_at >= _midnight(start), Decision.decided_at < _midnight(end))
        .order_by(Decision.decided_at, Decision.case_id)).all()
    rows.sort(key=itemgetter(3))  # stable: time order kept within each approver
    return [{"case_id": case_id, "case_no": case_no, "approver_id": approver_id, "staff_no": staff_no}
            for case_id, case_no, approver_id, staff_no in rows]


def _serialize(check: SpotCheck) -> spot_draw.Population:
    """The committed file, rebuilt from the stored list; refused if it no longer has the digest."""
    population = spot_draw.serialize_population(check.quarter, check.rate_percent,
                                                [(e["case_no"], e["staff_no"]) for e in check.population],
                                                known_unique=True)  # case_file.case_no is UNIQUE
    if population.digest != check.population_digest:
        raise refuse("spotcheck.tampered", "所存抽查总体与承诺时的摘要不符，记录可能被改动，请联系系统管理员")
    return population


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":  # SQLite's BEGIN IMMEDIATE already serialises
        session.exec(text(f"SELECT pg_advisory_xact_lock({SPOTCHECK_LOCK})"))


def _live(session: Session, quarter: str) -> Optional[SpotCheck]:
    return session.exec(select(SpotCheck).where(SpotCheck.quarter == quarter, SpotCheck.state != "superseded")
                        .order_by(SpotCheck.id.desc())).first()


def _get(session: Session, check_id: Any) -> SpotCheck:
    check = session.get(SpotCheck, inputs.record_id(check_id))
    if check is None:
        raise refuse("spotcheck.not_found", "抽查记录不存在")
    return check


def _commit_in(session: Session, principal: Principal, quarter: str, **redraw) -> SpotCheck:
    start, end = quarter_bounds(quarter)
    if clock.today() < end:
        raise refuse("spotcheck.quarter_open", f"{quarter} 尚未结束（{end.isoformat()} 起方可固定总体）：总体须在季度结束后一次确定")
    rows = population_rows(session, quarter)
    if not rows:
        raise refuse("spotcheck.empty_population", f"{quarter}（{start.isoformat()} 至 {end.isoformat()} 前）没有已办结的办件，无需抽查")
    population = spot_draw.serialize_population(quarter, RATE_PERCENT, [(r["case_no"], r["staff_no"]) for r in rows],
                                                known_unique=True)  # case_file.case_no is UNIQUE
    check = SpotCheck(quarter=quarter, rate_percent=RATE_PERCENT, population=rows,
                      population_digest=population.digest, committed_by=principal.officer_id, sample=[],
                      state="committed", **redraw)
    session.add(check)
    session.flush()
    audit.record(session, "spotcheck.committed", f"spotcheck:{check.id}", principal.officer_id, quarter=quarter,
                 population_sha256=population.digest, cases=len(rows), rate_percent=RATE_PERCENT,
                 approvers=len({r["staff_no"] for r in rows}), redraw_of=redraw.get("redraw_of"))
    return check


@_audited("spotcheck.commit")
def commit(principal: Principal, quarter: Any) -> SpotCheck:
    """Fix and commit the quarter's population before any seed exists."""
    principal.require(AUDITOR)
    quarter = spot_draw.check_quarter(quarter)
    with transaction() as session:
        _lock(session)
        live = _live(session, quarter)
        if live is not None:
            raise refuse("spotcheck.exists", f"{quarter} 的抽查已于 {clock.local(live.committed_at)} 固定总体"
                                             f"（{STATES[live.state]}）；如需重抽，请填写理由重抽")
        return _commit_in(session, principal, quarter)


@_audited("spotcheck.draw")
def seed_and_draw(principal: Principal, check_id: Any, seed: Any, note: Any) -> SpotCheck:
    """The seed ceremony: record the seed and the witnesses, draw, store the sample."""
    principal.require(AUDITOR)
    seed = spot_draw.normalize_seed(seed)
    note = note.strip()[:MAX_TEXT] if isinstance(note, str) else ""
    if not note:
        raise refuse("spotcheck.witnesses_missing", "请记录摇号过程：谁掷骰、谁读数、在场见证人")
    with transaction() as session:
        _lock(session)
        check = _get(session, check_id)
        if check.state == "superseded":
            raise refuse("spotcheck.superseded", "该抽查已作废（已重抽），请在当前抽查上操作")
        if check.state != "committed" or check.seed is not None:
            raise refuse("spotcheck.already_drawn", f"该抽查已于 {clock.local(check.seeded_at)} 登记随机数并抽取，不能再次登记")
        earlier = session.exec(select(SpotCheck.seed).where(SpotCheck.quarter == check.quarter,
                                                            SpotCheck.seed.is_not(None))).all()
        if seed in earlier:
            raise refuse("spotcheck.seed_reused", "该随机数已在本季度此前的抽取中使用过：重抽须重新掷骰产生新的随机数")
        population = _serialize(check)
        current = population_rows(session, check.quarter)
        if [r["case_id"] for r in current] != [e["case_id"] for e in check.population]:
            raise refuse("spotcheck.population_changed", "承诺后该季度的已办结办件有变化：请填写理由重抽，重新固定总体")
        result = spot_draw.draw(population, seed)
        ids = {e["case_no"]: e["case_id"] for e in check.population}
        check.seed, check.seed_note = seed, note
        check.seeded_at, check.seeded_by = utcnow(), principal.officer_id
        check.sample = [ids[case_no] for case_no in result.case_nos]
        check.state = "drawn"
        session.add(check)
        session.flush()
        draw_text = spot_draw.format_draw(result)
        audit.record(session, "spotcheck.drawn", f"spotcheck:{check.id}", principal.officer_id, quarter=check.quarter,
                     population_sha256=check.population_digest, seed=seed, witnesses=note, sample_size=result.size,
                     draw_sha256=_sha256(draw_text.encode("utf-8")))
        return check


@_audited("spotcheck.redraw")
def redraw(principal: Principal, check_id: Any, reason: Any) -> SpotCheck:
    """Supersede the quarter's live check (kept, reviews and rectifications stay), commit the
    population again; the new check waits for a new seed ceremony."""
    principal.require(AUDITOR)
    reason = reason.strip()[:500] if isinstance(reason, str) else ""
    if not reason:
        raise refuse("spotcheck.reason_missing", "重抽须填写理由（将记入审计日志）")
    with transaction() as session:
        _lock(session)
        old = _get(session, check_id)
        if old.state == "superseded":
            raise refuse("spotcheck.superseded", "该抽查已作废（已重抽），请在当前抽查上操作")
        reviews = len(session.exec(select(SpotCheckReview.id).where(SpotCheckReview.spot_check_id == old.id)).all())
        old.state = "superseded"
        session.add(old)
        session.flush()
        new = _commit_in(session, principal, old.quarter, redraw_of=old.id, redraw_reason=reason)
        audit.record(session, "spotcheck.redrawn", f"spotcheck:{old.id}", principal.officer_id, quarter=old.quarter,
                     superseded_by=new.id, reason=reason, reviews_done=reviews, old_seed=old.seed,
                     old_population_sha256=old.population_digest, new_population_sha256=new.population_digest)
        return new


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- files


@_audited("spotcheck.export")
def population_file(principal: Principal, check_id: Any) -> tuple[str, bytes]:
    """The committed population, byte for byte: `sha256sum` of it prints the committed digest."""
    principal.require(AUDITOR)
    with transaction() as session:
        check = _get(session, check_id)
        population = _serialize(check)
        audit.record(session, "spotcheck.population_exported", f"spotcheck:{check.id}", principal.officer_id,
                     population_sha256=check.population_digest)
        return f"spotcheck-{check.quarter}-population-{check.population_digest[:12]}.txt", population.data


def draw_result(check: SpotCheck) -> spot_draw.Draw:
    return spot_draw.draw(_serialize(check), check.seed)


@_audited("spotcheck.export")
def draw_file(principal: Principal, check_id: Any) -> tuple[str, bytes]:
    """The draw result: the same text `python -m app.cli spotcheck draw` prints."""
    principal.require(AUDITOR)
    with transaction() as session:
        check = _get(session, check_id)
        if check.seed is None:
            raise refuse("spotcheck.not_drawn", "尚未登记随机数，还没有抽取结果")
        data = spot_draw.format_draw(draw_result(check)).encode("utf-8")
        audit.record(session, "spotcheck.draw_exported", f"spotcheck:{check.id}", principal.officer_id,
                     draw_sha256=_sha256(data))
        return f"spotcheck-{check.quarter}-draw-{check.population_digest[:12]}.txt", data


# ---------------------------------------------------------------- reviews and rectification


def rectification_due(session: Session, start: date) -> tuple[date, bool]:
    """15 working days after `start` on the bureau's calendar: (due date, provisional)."""
    return calendar.deadline(session, start, RECTIFICATION_WORKDAYS)


def default_due(principal: Principal) -> tuple[date, bool]:
    principal.require(AUDITOR)
    with transaction() as session:
        return rectification_due(session, clock.today())


def _involved(session: Session, case: Case, decision: Decision) -> set[int]:
    """Everyone who handled the case before it was decided (received, accepted, handed over…)."""
    officers = {case.approver_id, decision.approver_id}
    for event in session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)):
        if event.officer_id is not None and event.kind not in EVENT_KINDS:
            officers.add(event.officer_id)
    return officers


def _text(value: Any, code: str, message: str, required: bool = True) -> str:
    value = value.strip()[:MAX_TEXT] if isinstance(value, str) else ""
    if required and not value:
        raise refuse(code, message)
    return value


def _case_event(session: Session, case_id: int, kind: str, officer_id: int, **details) -> None:
    """On the case's own history too: its responsibility record links every later finding."""
    session.add(CaseEvent(case_id=case_id, kind=kind, officer_id=officer_id, details=details))


@_audited("spotcheck.review")
def review(principal: Principal, check_id: Any, case_id: Any, checklist: Any, result: Any, notes: Any,
           rectification_request: Any = "", due: Any = None, propose_correction: Any = False) -> SpotCheckReview:
    """One drawn case against the checklist (each item yes/no) → 合格 / 瑕疵 / 错误."""
    principal.require(AUDITOR)
    case_id = inputs.record_id(case_id)
    if not isinstance(checklist, dict) or any(not isinstance(checklist.get(k), bool) for k, _ in CHECKLIST):
        raise refuse("spotcheck.checklist_incomplete", "评查表每一项都须选择“是”或“否”")
    answers = {k: checklist[k] for k, _ in CHECKLIST}
    if result not in RESULTS:
        raise refuse("spotcheck.result_invalid", "请选择评查结论：合格、瑕疵或错误")
    notes = _text(notes, "spotcheck.notes_missing", "结论为瑕疵或错误时须写明问题所在", required=result != "pass")
    request = _text(rectification_request, "", "", required=False)
    if not isinstance(propose_correction, bool):
        raise refuse("input.invalid", "参数无效")
    if result == "pass":
        if not all(answers.values()):
            failed = "、".join(label for k, label in CHECKLIST if not answers[k])
            raise refuse("spotcheck.inconsistent", f"评查表中“{failed}”为否，结论不能是合格")
        if request or due not in (None, ""):
            raise refuse("spotcheck.inconsistent", "结论为合格时无需整改：请清空整改要求和期限")
        if propose_correction:
            raise refuse("spotcheck.inconsistent", "结论为合格时不能建议纠正或撤销")
    else:
        if not request:
            raise refuse("spotcheck.request_missing", "结论为瑕疵或错误时须提出整改要求")
        if propose_correction and result != "error":
            raise refuse("spotcheck.inconsistent", "只有结论为错误时才建议依行政许可法第六十九条纠正或撤销")
    with transaction() as session:
        _lock(session)
        check = _get(session, check_id)
        if check.state == "superseded":
            raise refuse("spotcheck.superseded", "该抽查已作废（已重抽），请在当前抽查上评查")
        if check.state != "drawn":
            raise refuse("spotcheck.not_drawn", "尚未登记随机数抽取样本，不能评查")
        if case_id not in check.sample:
            raise refuse("spotcheck.not_in_sample", "该办件不在本次抽取的样本中，不能作为抽查评查")
        case, decision = session.get(Case, case_id), session.exec(select(Decision).where(Decision.case_id == case_id)).one()
        if principal.officer_id in _involved(session, case, decision):
            raise refuse("spotcheck.own_case", "不能评查本人经办的办件（回避）")
        done = session.exec(select(SpotCheckReview).where(SpotCheckReview.spot_check_id == check.id,
                                                          SpotCheckReview.case_id == case_id)).first()
        if done is not None:
            raise refuse("spotcheck.already_reviewed", f"该办件已于 {clock.local(done.reviewed_at)} 评查，结论不能改写")
        due_on = None
        if result != "pass":
            due_on = inputs.day(due, "整改期限", required=False) or rectification_due(session, clock.today())[0]
            if due_on <= clock.today():
                raise refuse("spotcheck.due_invalid", "整改期限须晚于今天")
        row = SpotCheckReview(spot_check_id=check.id, case_id=case_id, reviewer_id=principal.officer_id,
                              checklist={**answers, PROPOSE_CORRECTION: propose_correction}, result=result,
                              notes=notes, rectification_request=request or None, rectification_due=due_on)
        session.add(row)
        session.flush()
        _case_event(session, case_id, "spot_check_reviewed", principal.officer_id, spot_check_id=check.id,
                    review_id=row.id, result=result, propose_correction=propose_correction)
        audit.record(session, "spotcheck.reviewed", f"spotcheck:{check.id}", principal.officer_id, review_id=row.id,
                     case_id=case_id, case_no=case.case_no, document_number=decision.document_number, result=result,
                     failed=[k for k, _ in CHECKLIST if not answers[k]], rectification_due=due_on.isoformat()
                     if due_on else None, propose_correction=propose_correction or None)
        return row


def _open_review(session: Session, review_id: Any) -> tuple[SpotCheckReview, Case, Decision]:
    row = session.get(SpotCheckReview, inputs.record_id(review_id))
    if row is None:
        raise refuse("spotcheck.not_found", "评查记录不存在")
    if row.result == "pass":
        raise refuse("spotcheck.nothing_to_rectify", "该办件评查合格，没有整改事项")
    if row.closed_at is not None:
        raise refuse("spotcheck.already_closed", f"该整改已于 {clock.local(row.closed_at)} 结案")
    case = session.get(Case, row.case_id)
    decision = session.exec(select(Decision).where(Decision.case_id == row.case_id)).one()
    return row, case, decision


def _reports(session: Session, review_id: int) -> list[CaseEvent]:
    row = session.get(SpotCheckReview, review_id)
    return [e for e in session.exec(select(CaseEvent).where(CaseEvent.case_id == row.case_id,
                                                            CaseEvent.kind == "spot_check_reported")
                                    .order_by(CaseEvent.id))
            if e.details.get("review_id") == review_id]


@_audited("spotcheck.rectification")
def submit_rectification(principal: Principal, review_id: Any, statement: Any) -> CaseEvent:
    """The approver reports what was done (may report again until closed)."""
    principal.require(APPROVER)
    statement = _text(statement, "spotcheck.statement_missing", "请写明整改情况")
    with transaction() as session:
        row, case, decision = _open_review(session, review_id)
        if decision.approver_id != principal.officer_id:
            raise refuse("spotcheck.not_your_case", "只能对本人作出的决定提交整改说明")
        event = CaseEvent(case_id=case.id, kind="spot_check_reported", officer_id=principal.officer_id,
                          details={"spot_check_id": row.spot_check_id, "review_id": row.id, "statement": statement})
        session.add(event)
        session.flush()
        audit.record(session, "spotcheck.rectification_reported", f"spotcheck:{row.spot_check_id}",
                     principal.officer_id, review_id=row.id, case_no=case.case_no, statement=statement,
                     late=clock.today() > row.rectification_due or None)
        return event


@_audited("spotcheck.close")
def close_rectification(principal: Principal, review_id: Any, evidence: Any) -> SpotCheckReview:
    """An auditor closes a rectification once the approver has reported, with the evidence seen."""
    principal.require(AUDITOR)
    evidence = _text(evidence, "spotcheck.evidence_missing", "结案须写明整改证据（如补正的文书、核实情况）")
    with transaction() as session:
        _lock(session)
        row, case, decision = _open_review(session, review_id)
        if principal.officer_id in _involved(session, case, decision):
            raise refuse("spotcheck.own_case", "不能为本人经办的办件结案（回避）")
        if not _reports(session, row.id):
            raise refuse("spotcheck.not_reported", "审批员尚未提交整改说明，不能结案")
        row.closed_at, row.closed_by, row.closing_evidence = utcnow(), principal.officer_id, evidence
        session.add(row)
        session.flush()
        _case_event(session, case.id, "spot_check_closed", principal.officer_id, spot_check_id=row.spot_check_id,
                    review_id=row.id)
        audit.record(session, "spotcheck.closed", f"spotcheck:{row.spot_check_id}", principal.officer_id,
                     review_id=row.id, case_no=case.case_no, evidence=evidence,
                     late=clock.today() > row.rectification_due or None)
        return row


# ---------------------------------------------------------------- what the pages show


@dataclass(frozen=True)
class Rectification:
    review_id: int
    quarter: str
    case_no: str
    document_number: str
    item: str
    approver: str
    result: str  # 瑕疵 | 错误
    failed: list[str]  # checklist items answered no
    notes: str
    request: str
    due: date
    overdue: bool
    propose_correction: bool
    reviewer: str
    reviewed_at: datetime
    statement: str  # the approver's latest report, "" when none
    reported_at: Optional[datetime]


@dataclass(frozen=True)
class DrawnCase:
    case_id: int
    case_no: str
    document_number: str
    outcome: str
    item: str
    approver: str
    staff_no: str
    decided_on: date
    own: bool  # the viewer handled it: may not review it
    review: Optional[SpotCheckReview]


@dataclass(frozen=True)
class StratumView:
    staff_no: str
    approver: str
    count: int
    drawn: list[str]  # case numbers


@dataclass(frozen=True)
class CheckView:
    check: SpotCheck
    committed_by: str
    seeded_by: str
    cases: int
    strata: list[StratumView]
    drawn: list[DrawnCase]


@dataclass(frozen=True)
class Overview:
    quarter: str
    live: Optional[CheckView]
    superseded: list[tuple[SpotCheck, str]]  # earlier checks of the quarter, with who superseded them
    can_commit: bool
    note: str  # why not, or ""


def _name(session: Session, officer_id: Optional[int]) -> str:
    officer = session.get(Officer, officer_id) if officer_id else None
    return f"{officer.name}（{officer.staff_no}）" if officer else ""


def _rectifications(session: Session, approver_id: Optional[int]) -> list[Rectification]:
    query = (select(SpotCheckReview, SpotCheck, Case, Decision, Item)
             .join(SpotCheck, SpotCheckReview.spot_check_id == SpotCheck.id)
             .join(Case, SpotCheckReview.case_id == Case.id).join(Decision, Decision.case_id == Case.id)
             .join(Item, Case.item_id == Item.id)
             .where(SpotCheckReview.result != "pass", SpotCheckReview.closed_at.is_(None)))
    if approver_id is not None:
        query = query.where(Decision.approver_id == approver_id)
    today, out = clock.today(), []
    for row, check, case, decision, item in session.exec(query.order_by(SpotCheckReview.rectification_due,
                                                                       SpotCheckReview.id)):
        reports = _reports(session, row.id)
        out.append(Rectification(
            review_id=row.id, quarter=check.quarter, case_no=case.case_no, document_number=decision.document_number,
            item=item.name, approver=_name(session, decision.approver_id), result=RESULTS[row.result],
            failed=[label for k, label in CHECKLIST if row.checklist.get(k) is False], notes=row.notes,
            request=row.rectification_request or "", due=row.rectification_due, overdue=today > row.rectification_due,
            propose_correction=bool(row.checklist.get(PROPOSE_CORRECTION)), reviewer=_name(session, row.reviewer_id),
            reviewed_at=row.reviewed_at, statement=reports[-1].details.get("statement", "") if reports else "",
            reported_at=reports[-1].at if reports else None))
    return out


def open_rectifications_for(principal: Principal) -> list[Rectification]:
    """The approver's own open rectification requests, earliest due first."""
    principal.require(APPROVER)
    with transaction() as session:
        return _rectifications(session, principal.officer_id)


def open_rectifications(principal: Principal) -> list[Rectification]:
    """Every open rectification, for auditors, earliest due first."""
    principal.require(AUDITOR)
    with transaction() as session:
        return _rectifications(session, None)


def _check_view(session: Session, principal: Principal, check: SpotCheck) -> CheckView:
    names = {o.staff_no: o.name for o in session.exec(select(Officer))}
    counts: dict[str, int] = {}
    for entry in check.population:
        counts[entry["staff_no"]] = counts.get(entry["staff_no"], 0) + 1
    by_id = {e["case_id"]: e for e in check.population}
    drawn_by: dict[str, list[str]] = {}
    for case_id in check.sample:
        drawn_by.setdefault(by_id[case_id]["staff_no"], []).append(by_id[case_id]["case_no"])
    strata = [StratumView(s, f"{names.get(s, '')}（{s}）", counts[s], drawn_by.get(s, [])) for s in sorted(counts)]
    reviews = {r.case_id: r for r in session.exec(select(SpotCheckReview)
                                                  .where(SpotCheckReview.spot_check_id == check.id))}
    drawn = []
    for chunk in range(0, len(check.sample), 500):
        ids = check.sample[chunk:chunk + 500]
        rows = {c.id: (c, d, i) for c, d, i in session.exec(
            select(Case, Decision, Item).join(Decision, Decision.case_id == Case.id)
            .join(Item, Case.item_id == Item.id).where(Case.id.in_(ids)))}
        for case_id in ids:
            case, decision, item = rows[case_id]
            staff_no = by_id[case_id]["staff_no"]
            drawn.append(DrawnCase(case_id, case.case_no, decision.document_number,
                                   OUTCOMES.get(decision.outcome, decision.outcome), item.name,
                                   f"{names.get(staff_no, '')}（{staff_no}）", staff_no,
                                   decision.decided_at.astimezone(clock.BEIJING).date(),
                                   principal.officer_id in _involved(session, case, decision), reviews.get(case_id)))
    return CheckView(check, _name(session, check.committed_by), _name(session, check.seeded_by),
                     len(check.population), strata, drawn)


def overview(principal: Principal, quarter: Any) -> Overview:
    principal.require(AUDITOR)
    quarter = spot_draw.check_quarter(quarter)
    _, end = quarter_bounds(quarter)
    with transaction() as session:
        live = _live(session, quarter)
        earlier = session.exec(select(SpotCheck).where(SpotCheck.quarter == quarter, SpotCheck.state == "superseded")
                               .order_by(SpotCheck.id)).all()
        superseded = []
        for old in earlier:
            successor = session.exec(select(SpotCheck).where(SpotCheck.redraw_of == old.id)).first()
            superseded.append((old, successor.redraw_reason if successor else ""))
        note = ""
        if live is None and clock.today() < end:
            note = f"{quarter} 尚未结束：{end.isoformat()} 起方可固定总体"
        return Overview(quarter, _check_view(session, principal, live) if live else None, superseded,
                        live is None and not note, note)
