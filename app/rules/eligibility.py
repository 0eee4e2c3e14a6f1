"""Who may be an independent approver (四): more than a year in post, an excellent routine
assessment, training kept up, the special exam passed. Pure: records in, verdicts out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Optional

from app.models import Officer, Qualification

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


def conditions(officer: Officer, records: Iterable[Qualification], today: date) -> list[Condition]:
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
    ]


def failing(officer: Officer, records: Iterable[Qualification], today: date) -> list[Condition]:
    return [c for c in conditions(officer, records, today) if not c.ok]
