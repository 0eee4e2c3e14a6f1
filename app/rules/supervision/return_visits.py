"""回访 and 好差评 (七(一)): auditors draw a visit list from the cases decided in a period, call or
meet the applicants, and record the channel and a five-level rating of process, attitude,
efficiency and integrity. A bad rating (不满意 / 非常不满意 on any aspect) opens a verification and
rectification record due 15 working days after the visit (the national 好差评 rules), tracked to
closure. Nothing is deleted: a visit is drawn once per case, recorded once, closed once.

The draw is reproducible: the population (the period's decided cases not drawn before, by id) is
digested, the seed is SHA-256 over a domain tag, the period, the rate and that digest, and the
cases are ranked by HMAC-SHA256(seed, case id); the first ceil(rate × N) are drawn (at least one).
The audit record holds the population, the seed and the sample, so anyone can re-run it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.db import transaction
from app.models import Case, Item, Officer, ReturnVisit
from app.models.base import utcnow
from app.rules import audit, inputs, personal_data
from app.rules.calendar import holidays as calendar
from app.rules.calendar import clock
from app.rules.canonical import canonical_json
from app.rules.errors import refuse
from app.rules.supervision.oversight import beijing_date, utc_window
from app.rules.principal import Principal
from app.rules.people.roles import AUDITOR

ASPECTS = {"process": "办事流程", "attitude": "服务态度", "efficiency": "办事效率", "integrity": "廉洁自律"}
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVEL = 2  # 不满意 and 非常不满意 are 差评
GOOD_LEVEL = 4  # 满意 and 非常满意: a visit is satisfied when every aspect is at least this
CHANNELS = {"phone": "电话", "sms": "短信", "on_site": "现场"}
RECTIFICATION_WORKDAYS = 15
DECIDED_STATES = ("decided", "not_accepted")  # every case that ended with a signed decision
MAX_COMMENT_CHARS = 1000
MAX_RANGE_DAYS = 366
DOMAIN = b"permit-audit/survey/v1"
STATUS = {"pending": "待回访", "recorded": "已回访", "rectifying": "差评整改中", "closed": "整改已办结"}


@dataclass(frozen=True)
class Draw:
    visits: list[ReturnVisit]
    population: int
    population_digest: str
    seed: str


@dataclass(frozen=True)
class VisitRow:
    visit: ReturnVisit
    case: Case
    item_name: str
    approver: Officer
    applicant_phone_masked: str  # "" when none was captured at acceptance
    status: str  # a key of STATUS
    overdue: bool  # a rectification still open after its due date
    closed_late: bool


def sample_size(population: int, rate_percent: int) -> int:
    """ceil(N × rate / 100) in integers (a float ceil is wrong for some rates), at least one, at most N."""
    if population <= 0:
        return 0
    return min(population, max(1, (population * rate_percent + 99) // 100))


def population_digest(case_ids: list[int]) -> str:
    return hashlib.sha256(DOMAIN + b"|population|" + canonical_json(sorted(case_ids))).hexdigest()


def draw_seed(first: date, last: date, rate_percent: int, digest: str) -> bytes:
    return hashlib.sha256(DOMAIN + f"|{first.isoformat()}|{last.isoformat()}|{rate_percent}|{digest}".encode()).digest()


def draw_order(case_ids: list[int], seed: bytes) -> list[int]:
    return sorted(case_ids, key=lambda c: hmac.new(seed, str(c).encode(), hashlib.sha256).digest())


def _rate(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
        raise refuse("visits.bad_rate", "抽取比例须为 1 至 100 之间的整数（百分比）")
    return value


def _period(first: Any, last: Any) -> tuple[date, date]:
    start = inputs.day(first, "起始日期")
    end = inputs.day(last, "截止日期")
    if end < start:
        raise refuse("visits.bad_period", "截止日期早于起始日期")
    if end > clock.today():
        raise refuse("visits.bad_period", "截止日期不能晚于今天")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise refuse("visits.bad_period", "一次抽取的期间不超过一年")
    return start, end


def draw(principal: Principal, first: Any, last: Any, rate_percent: Any) -> Draw:
    """Draw the visit list of the period: the decided cases not drawn before, at the rate."""
    principal.require(AUDITOR)
    start, end = _period(first, last)
    rate = _rate(rate_percent)
    since, until = utc_window(start, end)
    with transaction() as session:
        drawn_before = set(session.exec(select(ReturnVisit.case_id)).all())
        ids = [c for c in session.exec(select(Case.id).where(Case.state.in_(DECIDED_STATES),
                                                             Case.decided_at >= since, Case.decided_at < until)
                                       .order_by(Case.id)).all() if c not in drawn_before]
        if not ids:
            raise refuse("visits.nothing_to_draw", f"{start} 至 {end} 没有尚未抽取回访的办结办件")
        digest = population_digest(ids)
        seed = draw_seed(start, end, rate, digest)
        chosen = draw_order(ids, seed)[:sample_size(len(ids), rate)]
        visits = [ReturnVisit(case_id=c, drawn_by=principal.officer_id) for c in chosen]
        session.add_all(visits)
        session.flush()
        audit.record(session, "visit.drawn", f"return_visits:{start}..{end}", principal.officer_id,
                     period=[start.isoformat(), end.isoformat()], rate_percent=rate, population=ids,
                     population_digest=digest, seed=seed.hex(), sample=chosen,
                     visit_ids=[v.id for v in visits])
        return Draw(visits, len(ids), digest, seed.hex())


def _visit(session: Session, visit_id: Any) -> ReturnVisit:
    visit = session.get(ReturnVisit, inputs.record_id(visit_id))
    if visit is None:
        raise refuse("visits.unknown", "回访记录不存在")
    return visit


def is_bad(ratings: dict) -> bool:
    return any(int(v) <= BAD_LEVEL for v in ratings.values())


def is_satisfied(ratings: dict) -> bool:
    return bool(ratings) and all(int(v) >= GOOD_LEVEL for v in ratings.values())


def _ratings(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise refuse("input.invalid", "参数无效")
    ratings = {}
    for aspect, label in ASPECTS.items():
        raw = value.get(aspect)
        if isinstance(raw, str) and raw.strip().isdigit():
            raw = int(raw.strip())
        if raw in (None, ""):
            raise refuse("visits.rating_missing", f"请选择“{label}”的评价")
        if not isinstance(raw, int) or isinstance(raw, bool) or raw not in LEVELS:
            raise refuse("visits.rating_invalid", f"“{label}”的评价须为五级之一（非常满意至非常不满意）")
        ratings[aspect] = raw
    return ratings


def record(principal: Principal, visit_id: Any, channel: Any, ratings: Any, comments: Any) -> ReturnVisit:
    """The applicant's ratings, once. A bad rating opens the rectification record, due 15 working days
    after the visit on the bureau's calendar."""
    principal.require(AUDITOR)
    if not isinstance(channel, str) or channel not in CHANNELS:
        raise refuse("visits.bad_channel", "请选择回访方式：电话、短信或现场")
    ratings = _ratings(ratings)
    comments = comments.strip() if isinstance(comments, str) else ""
    if len(comments) > MAX_COMMENT_CHARS:
        raise refuse("visits.comments_too_long", f"意见建议不超过 {MAX_COMMENT_CHARS} 字")
    bad = is_bad(ratings)
    if bad and not comments:
        raise refuse("visits.comments_missing", "差评须记录申请人反映的具体问题，以便核实整改")
    with transaction() as session:
        visit = _visit(session, visit_id)
        if visit.visited_at is not None:
            raise refuse("visits.already_recorded", "该回访已登记，不能重复登记")
        visit.visited_at, visit.visited_by, visit.channel = utcnow(), principal.officer_id, channel
        visit.ratings, visit.comments = ratings, comments
        if bad:
            visit.rectification_due, _ = calendar.deadline(session, beijing_date(visit.visited_at),
                                                           RECTIFICATION_WORKDAYS)
        session.add(visit)
        audit.record(session, "visit.recorded", f"return_visit:{visit.id}", principal.officer_id,
                     case_id=visit.case_id, channel=channel, ratings=ratings, bad=bad,
                     rectification_due=visit.rectification_due.isoformat() if visit.rectification_due else None)
        return visit


def close(principal: Principal, visit_id: Any, verification: Any, closing_note: Any) -> ReturnVisit:
    """Close a bad rating's rectification with what was verified and what was done."""
    principal.require(AUDITOR)
    verification = inputs.reason(verification, "请填写核实情况")
    closing_note = inputs.reason(closing_note, "请填写整改结果")
    with transaction() as session:
        visit = _visit(session, visit_id)
        if visit.rectification_due is None:
            raise refuse("visits.no_rectification", "该回访没有差评，无需整改")
        if visit.closed_at is not None:
            raise refuse("visits.already_closed", "该整改已办结")
        visit.verification, visit.closing_note = verification, closing_note
        visit.closed_at, visit.closed_by = utcnow(), principal.officer_id
        session.add(visit)
        late = beijing_date(visit.closed_at) > visit.rectification_due
        audit.record(session, "visit.rectification_closed", f"return_visit:{visit.id}", principal.officer_id,
                     case_id=visit.case_id, due=visit.rectification_due.isoformat(), late=late)
        return visit


def reveal_phone(principal: Principal, visit_id: Any) -> str:
    """The applicant's full phone number for the visitor; every disclosure is on the audit log."""
    principal.require(AUDITOR)
    with transaction() as session:
        visit = _visit(session, visit_id)
        case = session.get(Case, visit.case_id)
        if not case.applicant_phone_encrypted:
            raise refuse("visits.no_phone", "受理时未登记申请人联系电话")
        phone = personal_data.decrypt(case.applicant_phone_encrypted)
        audit.record(session, "visit.phone_revealed", f"case:{case.id}", principal.officer_id,
                     visit_id=visit.id, case_no=case.case_no)
        return phone


def status_of(visit: ReturnVisit, today: date) -> tuple[str, bool, bool]:
    """(status, overdue, closed late)."""
    if visit.visited_at is None:
        return "pending", False, False
    if visit.rectification_due is None:
        return "recorded", False, False
    if visit.closed_at is None:
        return "rectifying", today > visit.rectification_due, False
    return "closed", False, beijing_date(visit.closed_at) > visit.rectification_due


def _masked_phone(case: Case) -> str:
    if not case.applicant_phone_encrypted:
        return ""
    return personal_data.mask(personal_data.decrypt(case.applicant_phone_encrypted))


def visits(principal: Principal, status: str = "", limit: int = 200) -> list[VisitRow]:
    """The visit list, newest draw first; `status` one of STATUS to filter (open rectifications
    first when filtering "rectifying")."""
    principal.require(AUDITOR)
    today = clock.today()
    with transaction() as session:
        rows = session.exec(select(ReturnVisit, Case, Item, Officer)
                            .join(Case, ReturnVisit.case_id == Case.id).join(Item, Case.item_id == Item.id)
                            .join(Officer, Case.approver_id == Officer.id)
                            .order_by(ReturnVisit.id.desc())).all()
        out = []
        for visit, case, item, approver in rows:
            code, overdue, late = status_of(visit, today)
            if status and code != status:
                continue
            out.append(VisitRow(visit, case, item.name, approver, _masked_phone(case), code, overdue, late))
            if len(out) >= limit:
                break
        return out


def rectifications(principal: Principal) -> list[VisitRow]:
    """Every bad rating's record: open ones first (overdue first), then the closed ones."""
    principal.require(AUDITOR)
    today = clock.today()
    with transaction() as session:
        rows = session.exec(select(ReturnVisit, Case, Item, Officer)
                            .join(Case, ReturnVisit.case_id == Case.id).join(Item, Case.item_id == Item.id)
                            .join(Officer, Case.approver_id == Officer.id)
                            .where(ReturnVisit.rectification_due.is_not(None))).all()
        out = [VisitRow(v, c, i.name, o, _masked_phone(c), *status_of(v, today)) for v, c, i, o in rows]
    return sorted(out, key=lambda r: (r.status == "closed", r.visit.rectification_due, r.visit.id))
