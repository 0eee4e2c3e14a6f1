"""The audit log as auditors read it (read-only): filtered by kind of event, officer and Beijing
date range, newest first, one page at a time, each event with its time, who, what (in Chinese),
on what, and its details. Nothing here writes."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from app.db import transaction
from app.models import AuditEvent, Case, Decision, Officer
from app.rules.calendar import clock
from app.rules.supervision.decision_search import _beijing_midnight, _day, _record_id, page_size
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.people.roles import AUDITOR

# Groups the page offers: (label, condition on AuditEvent). A refusal's subject is the action
# refused (signin.begin, decision.sign …), so refused sign-ins also show among the sign-ins.
GROUPS: dict[str, tuple[str, Any]] = {
    "keys": ("密钥与授权：登记、撤销、续期", or_(
        AuditEvent.action.startswith("key.", autoescape=True), AuditEvent.action.startswith("enrollment.", autoescape=True),
        AuditEvent.action.startswith("authorization.", autoescape=True),
        AuditEvent.action == "attestation.policy_changed")),
    "refusals": ("拒绝的操作", AuditEvent.action == "refused"),
    "stepups": ("再次确认（step-up）", AuditEvent.action.in_(("stepup.confirmed", "officer.exit_step_up"))),
    "clones": ("疑似克隆密钥", AuditEvent.action.in_(("key.sign_count_regression", "key.suspect_cleared"))),
    "downloads": ("下载与导出", or_(AuditEvent.action.endswith("downloaded", autoescape=True),
                                AuditEvent.action.endswith("exported", autoescape=True))),
    "signins": ("登录与退出（含被拒绝的登录）", or_(
        AuditEvent.action.startswith("session.", autoescape=True),
        and_(AuditEvent.action == "refused", AuditEvent.subject.startswith("signin.", autoescape=True)))),
}

ACTION_NAMES = {
    "session.signed_in": "登录", "session.signed_out": "退出登录", "refused": "操作被拒绝",
    "stepup.confirmed": "再次确认身份（step-up）", "officer.exit_step_up": "离岗操作的再次确认",
    "key.registered": "登记密钥", "key.revoked": "撤销密钥", "key.sign_count_regression": "疑似克隆：签名计数回退，密钥停用",
    "key.suspect_cleared": "解除密钥疑似克隆状态", "enrollment.link_created": "生成首位管理员登记链接",
    "enrollment.links_revoked": "作废登记链接", "attestation.policy_changed": "修改密钥型号策略",
    "authorization.granted": "授予授权", "authorization.renewed": "续期授权", "authorization.revoked": "撤销授权",
    "authorization.keys_widened": "扩大密钥签署范围",
    "decision.signed": "签署决定", "decision.downloaded": "下载决定书", "decision.exported": "打包下载决定书（ZIP）",
    "decision.list_exported": "导出决定查询结果（Excel）", "notice.issued": "出具告知书", "notice.downloaded": "下载告知书",
    "document_number.voided": "作废未用文号", "audit.checkpoints_downloaded": "下载审计日志检查点",
    "publicity.exported": "导出双公示数据", "publicity.published": "登记已公示",
    "officer.created": "新增人员", "officer.revised": "修改人员信息", "officer.roles_changed": "变更人员角色",
    "officer.exited": "人员离岗", "qualification.recorded": "登记资格记录",
    "item.created": "新增事项", "item.revised": "修订事项", "item.listed": "列入独立审批清单",
    "item.delisted": "移出独立审批清单", "item.imported": "导入事项清单",
    "calendar.entry": "登记节假日", "calendar.year_entered": "确认年度节假日安排", "case.deadline_recomputed": "重新计算办结期限",
    "case.received": "收件", "case.accepted": "受理", "case.correction_notified": "一次性告知补正",
    "case.conflict_declared": "声明回避", "case.handed_over": "回避移交", "case.extended": "延期",
    "case.transferred": "转出独立审批", "case.routed": "登记转办", "case.withdrawn": "撤回申请",
    "case.decided_late": "超期办结", "demo.loaded": "载入演示数据",
}
DETAIL_CHARS = 300
_SUBJECT = re.compile(r"^(officer|case|decision):([0-9]{1,11})$")


@dataclass(frozen=True)
class Entry:
    seq: int
    at: datetime
    actor: str
    action: str
    action_name: str
    subject: str
    details: str


@dataclass(frozen=True)
class Page:
    rows: list[Entry]
    total: int
    page: int
    pages: int
    page_size: int


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


def _value(value: Any) -> str:
    if isinstance(value, list) and len(value) > 5:
        return f"[{len(value)} 项]"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def details_text(details: dict) -> str:
    """The event's details as one line, long lists counted, cut at DETAIL_CHARS."""
    text = "；".join(f"{k}: {_value(v)}" for k, v in sorted((details or {}).items()))
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS - 1] + "…"


def _subjects(session: Session, events: list[AuditEvent]) -> dict[str, str]:
    """Readable names for the page's subjects: officer → name（工号）, case → 受理编号, decision → 文号."""
    wanted: dict[str, set[int]] = {"officer": set(), "case": set(), "decision": set()}
    for e in events:
        m = _SUBJECT.match(e.subject)
        if m:
            wanted[m.group(1)].add(int(m.group(2)))
    names: dict[str, str] = {}
    if wanted["officer"]:
        for o in session.exec(select(Officer).where(Officer.id.in_(wanted["officer"]))):
            names[f"officer:{o.id}"] = f"人员 {o.name}（{o.staff_no}）"
    if wanted["case"]:
        for cid, no in session.exec(select(Case.id, Case.case_no).where(Case.id.in_(wanted["case"]))):
            names[f"case:{cid}"] = f"办件 {no}"
    if wanted["decision"]:
        for did, no in session.exec(select(Decision.id, Decision.document_number)
                                    .where(Decision.id.in_(wanted["decision"]))):
            names[f"decision:{did}"] = f"决定 {no}"
    return names


def _short(subject: str) -> str:
    """A subject naming a file by its SHA-256 (an export) shows the digest's start only."""
    kind, _, rest = subject.partition(":")
    if kind in ("export", "publicity-export") and len(rest) == 64:
        return f"导出文件 SHA-256 {rest[:16]}…"
    return subject


def parse_filters(form: Any) -> dict:
    form = form if isinstance(form, dict) else {}
    group = form.get("group") or ""
    if group not in ("", *GROUPS):
        raise refuse("search.invalid", "事件类别选择无效，请重新选择")
    date_from, date_to = _day(form.get("date_from"), "起始日期"), _day(form.get("date_to"), "截止日期")
    if date_from and date_to and date_from > date_to:
        raise refuse("search.invalid_date", "起始日期不能晚于截止日期")
    return {"group": group, "officer_id": _record_id(form.get("officer_id"), "人员"),
            "date_from": date_from, "date_to": date_to}


def search(principal: Principal, filters: Any = None, page: Any = 1, size: Any = 20) -> Page:
    """One page of the audit log, newest first."""
    principal.require(AUDITOR)
    f = parse_filters(filters)
    size = page_size(size)
    page = page if isinstance(page, int) and not isinstance(page, bool) else (_record_id(page, "页码") or 1)
    conditions = []
    if f["group"]:
        conditions.append(GROUPS[f["group"]][1])
    if f["officer_id"]:
        conditions.append(or_(AuditEvent.actor_id == f["officer_id"], AuditEvent.subject == f"officer:{f['officer_id']}"))
    if f["date_from"]:
        conditions.append(AuditEvent.at >= _beijing_midnight(f["date_from"]))
    if f["date_to"]:
        conditions.append(AuditEvent.at < _beijing_midnight(f["date_to"] + timedelta(days=1)))
    with transaction() as session:
        total = session.exec(select(func.count(AuditEvent.seq)).where(*conditions)).one()
        pages = max(1, math.ceil(total / size))
        page = max(1, min(page, pages))
        events = list(session.exec(select(AuditEvent).where(*conditions).order_by(AuditEvent.seq.desc())
                                   .offset((page - 1) * size).limit(size)))
        actors = {o.id: f"{o.name}（{o.staff_no}）" for o in session.exec(
            select(Officer).where(Officer.id.in_({e.actor_id for e in events if e.actor_id})))}
        subjects = _subjects(session, events)
    rows = [Entry(e.seq, e.at, actors.get(e.actor_id, "系统") if e.actor_id else "系统（或未登录者）", e.action,
                  action_name(e.action), subjects.get(e.subject, _short(e.subject)), details_text(e.details))
            for e in events]
    return Page(rows, total, page, pages, size)


def officers(principal: Principal) -> list[tuple[int, str]]:
    principal.require(AUDITOR)
    with transaction() as session:
        return [(o.id, f"{o.name}（{o.staff_no}）") for o in session.exec(select(Officer).order_by(Officer.staff_no))]

