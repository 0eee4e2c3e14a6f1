"""Who may be an independent approver (四): more than a year in post, an excellent routine
assessment, training kept up, the special exam passed — and, while authorized, who may sign.
Pure: records in, verdicts out (the two readers at the end only fetch the records)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

from sqlmodel import Session, func, select

from app.models import Assessment, Officer, Qualification
from app.rules.calendar import clock

TRAINING_VALID_DAYS = 365


@dataclass(frozen=True)
class Condition:
    name: str
    ok: bool
    detail: str


def effective(records: Iterable[Qualification]) -> list[Qualification]:
    """Records not replaced by a later correction."""
    records = list(records)
    corrected = {r.corrects_id for r in records if r.corrects_id}
    return [r for r in records if r.id not in corrected]


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def conditions(officer: Officer, records: Iterable[Qualification], today: date,
               disqualified_at: Optional[datetime] = None) -> list[Condition]:
    """The conditions of 四; for an officer once disqualified (七(三)), also the re-qualification."""
    records = effective(records)
    in_post = officer.joined_on is not None and officer.joined_on <= _one_year_before(today)
    last_year = today.year - 1
    assessment: Optional[Qualification] = next(
        (r for r in sorted(records, key=lambda r: r.recorded_at, reverse=True)
         if r.kind == "assessment" and r.year == last_year), None)
    trainings = [r for r in records if r.kind == "training" and r.on_date
                 and today - timedelta(days=TRAINING_VALID_DAYS) <= r.on_date <= today]
    exams = sorted((r for r in records if r.kind == "exam" and r.on_date), key=lambda r: (r.on_date, r.recorded_at))
    latest_exam = exams[-1] if exams else None
    return [
        Condition("在职一年以上", in_post,
                  f"{officer.joined_on} 起在职" if officer.joined_on else "未登记在职起始日期"),
        Condition("日常考核优秀", assessment is not None and assessment.grade == "优秀",
                  f"{last_year} 年度考核：{assessment.grade}" if assessment else f"缺少 {last_year} 年度考核记录"),
        Condition("定期参加业务培训", bool(trainings),
                  f"最近一次培训 {max(r.on_date for r in trainings)}" if trainings else "近一年无培训记录"),
        Condition("通过独立审批员专门考试", latest_exam is not None and latest_exam.passed is True,
                  (f"{latest_exam.on_date} {'通过' if latest_exam.passed else '未通过'}" if latest_exam
                   else "无考试记录")),
        *filter(None, [requalification_condition(records, disqualified_at)]),
    ]


def failing(officer: Officer, records: Iterable[Qualification], today: date,
            disqualified_at: Optional[datetime] = None) -> list[Condition]:
    return [c for c in conditions(officer, records, today, disqualified_at) if not c.ok]


# Regulation 四 must keep holding while an authorization runs, and a disqualification (七(三)) holds
# until a re-qualification: both are decided on the same records, here.

REQUALIFICATION = "requalification"  # the working group's recorded decision that the officer qualifies again


def _lifted(records: list[Qualification], after: datetime) -> bool:
    """A re-qualification recorded after `after`."""
    return any(r.kind == REQUALIFICATION and r.recorded_at > after for r in records)


def requalification_condition(records: Iterable[Qualification], disqualified_at: Optional[datetime]) -> Optional[Condition]:
    """For an officer who was disqualified: the re-qualification the next authorization needs."""
    if disqualified_at is None:
        return None
    records = effective(records)
    later = sorted((r for r in records if r.kind == REQUALIFICATION and r.recorded_at > disqualified_at),
                   key=lambda r: r.recorded_at)
    on = clock.local(disqualified_at, "%Y-%m-%d")
    return Condition("取消资格后重新取得资格", bool(later),
                     f"{on} 被取消资格，{later[-1].on_date} 重新取得资格（{later[-1].title}）" if later
                     else f"{on} 被取消资格，尚无重新取得资格的记录")


def signing_block(records: Iterable[Qualification], disqualified_at: Optional[datetime]) -> Optional[str]:
    """Why the officer may not sign now, or None: a disqualification, a 不称职 in the newest routine
    assessment, or a failed newest special exam — each until the working group records a
    re-qualification after it (or, for the exam, a later exam is passed; or the record is corrected)."""
    records = effective(records)
    if disqualified_at is not None and not _lifted(records, disqualified_at):
        return f"已于 {clock.local(disqualified_at, '%Y-%m-%d')} 被取消独立审批员资格，须重新取得资格"
    assessments = sorted((r for r in records if r.kind == "assessment" and r.year is not None),
                         key=lambda r: (r.year, r.recorded_at))
    if assessments and assessments[-1].grade == "不称职" and not _lifted(records, assessments[-1].recorded_at):
        latest = assessments[-1]
        return f"{latest.year} 年度考核为不称职（{clock.local(latest.recorded_at, '%Y-%m-%d')} 登记），待工作组决定"
    exams = sorted((r for r in records if r.kind == "exam" and r.on_date), key=lambda r: (r.on_date, r.recorded_at))
    if exams and exams[-1].passed is False and not _lifted(records, exams[-1].recorded_at):
        return f"{exams[-1].on_date} 独立审批员专门考试未通过，待工作组决定"
    return None


def last_disqualification(session: Session, officer_id: int) -> Optional[datetime]:
    """When the officer was last disqualified by a confirmed annual assessment (七(三)), if ever."""
    return session.exec(select(func.max(Assessment.disqualified_at))
                        .where(Assessment.officer_id == officer_id)).one()


def blocks_signing(session: Session, officer_id: int, today: date) -> Optional[str]:
    """The reason this officer may not sign a decision today, or None (called by the signing checks).
    Records dated after `today` do not count yet."""
    records = [r for r in session.exec(select(Qualification).where(Qualification.officer_id == officer_id))
               if r.on_date is None or r.on_date <= today]
    return signing_block(records, last_disqualification(session, officer_id))
