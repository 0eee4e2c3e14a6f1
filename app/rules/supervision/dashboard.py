"""统计 for supervisors (auditors and the working group): the tables behind the dashboard's charts
for one year — decisions by month, item and approver; on-time rate by month; satisfaction by
aspect; spot-check defect rate by quarter — each exportable as an xlsx file (literal cells)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlmodel import Session, select

from app.db import transaction
from app.models import Case, Decision, Item, Officer, ReturnVisit, SpotCheck, SpotCheckReview
from app.rules.calendar import clock
from app.rules.people.assessments import ERROR, FLAW
from app.rules.catalog.excel import table_xlsx
from app.rules.errors import refuse
from app.rules.supervision.oversight import beijing_date, require_supervisor, utc_window
from app.rules.principal import Principal
from app.rules.supervision.return_visits import ASPECTS, GOOD_LEVEL, is_satisfied

OUTCOME_COLUMNS = [("approved", "准予"), ("refused", "不予"), ("not_accepted", "不予受理"), ("total", "合计")]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]  # (field, header)
    rows: list[dict]  # field -> str | int | float | None (None: nothing to count)


def _rate(part: int, whole: int) -> Optional[float]:
    return round(part * 100 / whole, 1) if whole else None


def _year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except ValueError:
        raise refuse("dashboard.bad_year", "请填写年份")
    if not 2000 <= year <= clock.today().year:
        raise refuse("dashboard.bad_year", "年份须为今年或以前的年份")
    return year


def _decisions(session: Session, year: int) -> list[tuple[Decision, Case, Item, Officer]]:
    since, until = utc_window(date(year, 1, 1), date(year, 12, 31))
    return list(session.exec(select(Decision, Case, Item, Officer).join(Case, Decision.case_id == Case.id)
                             .join(Item, Case.item_id == Item.id).join(Officer, Decision.approver_id == Officer.id)
                             .where(Decision.decided_at >= since, Decision.decided_at < until)).all())


def _counts(rows) -> dict:
    c = Counter(d.outcome for d, *_ in rows)
    return {"approved": c["approved"], "refused": c["refused"], "not_accepted": c["not_accepted"], "total": len(rows)}


def tables(principal: Principal, year: Any) -> dict[str, Table]:
    require_supervisor(principal)
    year = _year(year)
    with transaction() as session:
        rows = _decisions(session, year)
        by_month = defaultdict(list)
        by_item = defaultdict(list)
        by_approver = defaultdict(list)
        for row in rows:
            d, c, i, o = row
            by_month[beijing_date(d.decided_at).month].append(row)
            by_item[(i.code, i.name)].append(row)
            by_approver[(o.staff_no, o.name)].append(row)
        months = [{"month": f"{m}月", **_counts(by_month[m])} for m in range(1, 13)]
        items = [{"code": code, "item": name, **_counts(r)} for (code, name), r in sorted(by_item.items())]
        approvers = [{"staff_no": no, "approver": name, **_counts(r)} for (no, name), r in sorted(by_approver.items())]
        on_time = []
        for m in range(1, 13):
            timed = [(d, c) for d, c, *_ in by_month[m] if c.deadline is not None]
            ok = sum(beijing_date(d.decided_at) <= c.deadline for d, c in timed)
            on_time.append({"month": f"{m}月", "timed": len(timed), "on_time": ok, "rate": _rate(ok, len(timed))})
        case_ids = [c.id for _, c, *_ in rows]
        visits = list(session.exec(select(ReturnVisit).where(ReturnVisit.case_id.in_(case_ids),
                                                             ReturnVisit.visited_at.is_not(None)))) if case_ids else []
        satisfaction = []
        for aspect, label in ASPECTS.items():
            values = [int(v.ratings[aspect]) for v in visits if aspect in v.ratings]
            good = sum(x >= GOOD_LEVEL for x in values)
            satisfaction.append({"aspect": label, "visits": len(values), "satisfied": good,
                                 "rate": _rate(good, len(values)),
                                 "mean": round(sum(values) / len(values), 2) if values else None})
        all_good = sum(is_satisfied(v.ratings) for v in visits)
        all_values = [int(x) for v in visits for x in v.ratings.values()]
        satisfaction.append({"aspect": "全部方面", "visits": len(visits), "satisfied": all_good,
                             "rate": _rate(all_good, len(visits)),
                             "mean": round(sum(all_values) / len(all_values), 2) if all_values else None})
        defects = []
        for q in range(1, 5):
            reviews = session.exec(select(SpotCheckReview).join(SpotCheck, SpotCheckReview.spot_check_id == SpotCheck.id)
                                   .where(SpotCheck.quarter == f"{year}Q{q}", SpotCheck.state != "superseded")).all()
            flaws = sum(r.result in FLAW for r in reviews)
            errors = sum(r.result in ERROR for r in reviews)
            defects.append({"quarter": f"{year}Q{q}", "reviewed": len(reviews), "flaws": flaws, "errors": errors,
                            "rate": _rate(flaws + errors, len(reviews))})
    outcome_cols = [(k, h) for k, h in OUTCOME_COLUMNS]
    return {t.key: t for t in [
        Table("by_month", f"{year} 年按月决定数", [("month", "月份"), *outcome_cols], months),
        Table("by_item", f"{year} 年按事项决定数", [("code", "事项编码"), ("item", "事项"), *outcome_cols], items),
        Table("by_approver", f"{year} 年按审批员决定数", [("staff_no", "工号"), ("approver", "审批员"), *outcome_cols],
              approvers),
        Table("on_time", f"{year} 年按月按时办结率", [("month", "月份"), ("timed", "有办结期限的决定"),
                                                  ("on_time", "按时办结"), ("rate", "按时办结率（%）")], on_time),
        Table("satisfaction", f"{year} 年回访满意度", [("aspect", "评价方面"), ("visits", "回访数"),
                                                  ("satisfied", "满意及以上"), ("rate", "满意率（%）"),
                                                  ("mean", "平均分（5 分制）")], satisfaction),
        Table("defects", f"{year} 年抽查瑕疵率", [("quarter", "季度"), ("reviewed", "已评查"), ("flaws", "瑕疵"),
                                              ("errors", "错误"), ("rate", "瑕疵及错误率（%）")], defects),
    ]}


def export_xlsx(principal: Principal, year: Any, key: Any) -> tuple[str, bytes]:
    """(file name, xlsx bytes) of one table behind a chart; empty rates are written "—"."""
    all_tables = tables(principal, year)
    if not isinstance(key, str) or key not in all_tables:
        raise refuse("dashboard.unknown_table", "没有这张统计表")
    table = all_tables[key]
    data = table_xlsx(table.title, [h for _, h in table.columns],
                      [["—" if row[f] is None else row[f] for f, _ in table.columns] for row in table.rows])
    return f"{table.title}.xlsx", data
