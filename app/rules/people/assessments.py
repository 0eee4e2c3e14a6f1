"""年度考核 (七(三)): per approver per year, the figures are computed from the records — cases
decided (by outcome), on-time rate, spot-check defect rate, satisfaction, complaints and findings —
and the working group records a level (优秀 / 合格 / 基本合格 / 不合格) with reasons, the figures
stored as they stood. 不合格, or a serious finding the working group flags, proposes
disqualification; an admin confirms it with step-up, which revokes the officer's authorizations
and keys through the existing lifecycle (certificates revoked, a new CRL published). Afterwards the
officer cannot be authorized again without a recorded re-qualification (app/rules/people/eligibility.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlmodel import Session, select

from app.db import transaction
from app.models import (Assessment, Authorization, Case, Decision, Officer, ReturnVisit, SecurityKey,
                        SpotCheckReview)
from app.models.base import utcnow
from app.rules import audit, inputs
from app.rules.people import authorizations
from app.rules.calendar import clock
from app.rules.people import keys
from app.rules.people import stepup
from app.rules.errors import refuse
from app.rules.supervision.oversight import beijing_date, percent, require_supervisor, utc_window
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.rules.supervision.return_visits import is_bad, is_satisfied
from app.rules.people.roles import ADMIN, APPROVER

LEVELS = ("优秀", "合格", "基本合格", "不合格")
FAILING_LEVEL = "不合格"
# Spot-check results: the model stores pass | flaw | error; the Chinese names are accepted too.
FLAW, ERROR = ("flaw", "瑕疵"), ("error", "错误")
OUTCOMES = {"approved": "准予", "refused": "不予", "not_accepted": "不予受理"}


@dataclass(frozen=True)
class Row:
    officer: Officer
    figures: dict
    assessment: Optional[Assessment]


def _year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except ValueError:
        raise refuse("assessment.bad_year", "请填写考核年度")
    if not 2000 <= year <= clock.today().year:
        raise refuse("assessment.bad_year", "考核年度须为今年或以前的年份")
    return year


def figures(session: Session, officer_id: int, year: int) -> dict:
    """The year's figures for one approver, from decisions signed in that year (Beijing time) and
    the spot-check reviews and return visits of those cases. Rates with nothing to count are "—"."""
    since, until = utc_window(date(year, 1, 1), date(year, 12, 31))
    rows = session.exec(select(Decision, Case).join(Case, Decision.case_id == Case.id)
                        .where(Decision.approver_id == officer_id, Decision.decided_at >= since,
                               Decision.decided_at < until).order_by(Decision.decided_at)).all()
    by_outcome = Counter(d.outcome for d, _ in rows)
    timed = [(d, c) for d, c in rows if c.deadline is not None]  # 不予受理 is decided at receipt: no time limit
    late = [c.case_no for d, c in timed if beijing_date(d.decided_at) > c.deadline]
    case_ids = [c.id for _, c in rows]
    case_no = {c.id: c.case_no for _, c in rows}
    latest: dict[int, SpotCheckReview] = {}  # a case reviewed more than once counts by its newest review
    if case_ids:
        for review in session.exec(select(SpotCheckReview).where(SpotCheckReview.case_id.in_(case_ids))
                                   .order_by(SpotCheckReview.reviewed_at, SpotCheckReview.id)):
            latest[review.case_id] = review
    flaws = [r for r in latest.values() if r.result in FLAW]
    errors = [r for r in latest.values() if r.result in ERROR]
    visits = list(session.exec(select(ReturnVisit).where(ReturnVisit.case_id.in_(case_ids),
                                                         ReturnVisit.visited_at.is_not(None)))) if case_ids else []
    ratings = [int(v) for visit in visits for v in visit.ratings.values()]
    satisfied = sum(is_satisfied(v.ratings) for v in visits)
    complaints = [v for v in visits if is_bad(v.ratings)]
    return {
        "year": year,
        "decided": len(rows),
        "by_outcome": {k: by_outcome.get(k, 0) for k in OUTCOMES},
        "timed": len(timed), "on_time": len(timed) - len(late), "on_time_rate": percent(len(timed) - len(late), len(timed)),
        "late_cases": late,
        "reviewed": len(latest), "flaws": len(flaws), "errors": len(errors),
        "defect_rate": percent(len(flaws) + len(errors), len(latest)),
        "visits": len(visits), "satisfied": satisfied, "satisfaction_rate": percent(satisfied, len(visits)),
        "mean_rating": f"{sum(ratings) / len(ratings):.2f}" if ratings else "—",
        "complaints": len(complaints),
        "complaints_open": sum(v.closed_at is None for v in complaints),
        "findings": [{"case_no": case_no[r.case_id], "result": "错误" if r.result in ERROR else "瑕疵",
                      "notes": r.notes[:200]} for r in sorted(errors + flaws, key=lambda r: r.case_id)],
    }


def _approvers(session: Session, year: int) -> list[Officer]:
    """Officers holding the approver role, and anyone who signed a decision that year (also after
    they left)."""
    since, until = utc_window(date(year, 1, 1), date(year, 12, 31))
    signed = set(session.exec(select(Decision.approver_id).where(Decision.decided_at >= since,
                                                                 Decision.decided_at < until)).all())
    return [o for o in session.exec(select(Officer).order_by(Officer.staff_no))
            if APPROVER in o.roles or o.id in signed]


def overview(principal: Principal, year: Any) -> list[Row]:
    """Every approver's figures for the year, with the assessment recorded (if any)."""
    require_supervisor(principal)
    year = _year(year)
    with transaction() as session:
        recorded = {a.officer_id: a for a in session.exec(select(Assessment).where(Assessment.year == year))}
        return [Row(o, figures(session, o.id, year), recorded.get(o.id)) for o in _approvers(session, year)]


def record(admin: Principal, officer_id: Any, year: Any, level: Any, reasons: Any,
           serious_finding: Any = False) -> Assessment:
    """The working group's level with reasons, the figures as they stand now stored with it."""
    admin.require(ADMIN)
    year = _year(year)
    if level not in LEVELS:
        raise refuse("assessment.bad_level", "考核等次须为优秀、合格、基本合格或不合格")
    reasons = inputs.reason(reasons, "请填写考核意见（等次的理由）")
    if not isinstance(serious_finding, bool):
        raise refuse("input.invalid", "参数无效")
    with transaction() as session:
        officer = session.get(Officer, inputs.record_id(officer_id))
        if officer is None or officer.id not in {o.id for o in _approvers(session, year)}:
            raise refuse("assessment.not_approver", "该人员不是独立审批员，无年度考核")
        if session.exec(select(Assessment).where(Assessment.officer_id == officer.id,
                                                 Assessment.year == year)).first():
            raise refuse("assessment.exists", f"{officer.name} 的 {year} 年度考核已登记")
        stood = figures(session, officer.id, year)
        assessment = Assessment(officer_id=officer.id, year=year, figures={**stood, "serious_finding": serious_finding},
                                level=level, reasons=reasons, assessed_by=admin.officer_id,
                                proposes_disqualification=level == FAILING_LEVEL or serious_finding)
        session.add(assessment)
        session.flush()
        audit.record(session, "assessment.recorded", f"assessment:{assessment.id}", admin.officer_id,
                     officer_id=officer.id, year=year, level=level, reasons=reasons, serious_finding=serious_finding,
                     proposes_disqualification=assessment.proposes_disqualification, figures=stood)
        return assessment


def proposals(principal: Principal) -> list[tuple[Assessment, Officer]]:
    """Assessments proposing disqualification, open ones first, then the confirmed ones."""
    require_supervisor(principal)
    with transaction() as session:
        rows = session.exec(select(Assessment, Officer).join(Officer, Assessment.officer_id == Officer.id)
                            .where(Assessment.proposes_disqualification == True)).all()  # noqa: E712
    return sorted(rows, key=lambda r: (r[0].disqualified_at is not None, -r[0].year, r[0].id))


@audit_refusals("assessment.disqualify")
def confirm_disqualification(admin: Principal, assessment_id: Any, reason: Any) -> Assessment:
    """取消资格: every open authorization of the officer is revoked and every key stopped, through the
    authorization and key lifecycle (certificates revoked, CRL published), in one transaction."""
    admin.require(ADMIN)
    reason = inputs.reason(reason, "请填写取消资格的决定依据（如工作组会议纪要）")
    with transaction() as session:
        proof = stepup.require_fresh(session, admin)
        assessment = session.get(Assessment, inputs.record_id(assessment_id))
        if assessment is None:
            raise refuse("assessment.unknown", "考核记录不存在")
        if not assessment.proposes_disqualification:
            raise refuse("assessment.not_proposed", "该考核未提出取消资格")
        if assessment.disqualified_at is not None:
            raise refuse("assessment.already_disqualified", "已确认取消资格")
        officer = session.get(Officer, assessment.officer_id)
        why = f"年度考核取消资格（{assessment.year} 年度 {assessment.level}）：{reason}"
        revoked_authorizations, revoked_keys, serials = [], [], []
        for auth in session.exec(select(Authorization).where(Authorization.officer_id == officer.id,
                                                             Authorization.revoked_at.is_(None),
                                                             Authorization.superseded_at.is_(None))):
            serials += authorizations.revoke_in(session, admin.officer_id, auth, why, proof,
                                                assessment_id=assessment.id)
            revoked_authorizations.append(auth.id)
        for key in session.exec(select(SecurityKey).where(SecurityKey.officer_id == officer.id,
                                                          SecurityKey.status != "revoked")):
            serials += keys.revoke_key_in(session, admin.officer_id, key, why, proof, assessment_id=assessment.id)
            revoked_keys.append(key.id)
        assessment.disqualified_at, assessment.disqualified_by = utcnow(), admin.officer_id
        session.add(assessment)
        audit.record(session, "assessment.disqualified", f"officer:{officer.id}", admin.officer_id,
                     assessment_id=assessment.id, year=assessment.year, level=assessment.level, reason=reason,
                     revoked_authorizations=revoked_authorizations, revoked_keys=revoked_keys,
                     revoked_certificates=serials, **proof)
        return assessment
