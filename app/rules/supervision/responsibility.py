"""终身负责 (七(四)): each case's responsibility record — who received, accepted, reviewed and
decided it, with which key (credential id, fingerprint) and certificate, under which
authorization, and every later spot-check finding and return visit linked to it. Read from the
records themselves (case events, the signed decision), so it stays whole after the officer has
left, a key was stopped or an authorization revoked."""

from __future__ import annotations

import json
from typing import Any, Optional

from fido2.utils import websafe_encode
from sqlmodel import Session, select

from app.db import transaction
from app.models import (Authorization, Case, CaseEvent, Category, Decision, Item, KeyCertificate, Officer,
                        ReturnVisit, SecurityKey, SpotCheck, SpotCheckReview)
from app.rules import inputs
from app.rules.calendar import clock
from app.rules.calendar.clock import local
from app.rules.errors import refuse
from app.rules.supervision.oversight import require_supervisor
from app.rules.principal import Principal
from app.rules.supervision.return_visits import ASPECTS, CHANNELS, LEVELS, STATUS, status_of
from app.rules.people.scope import authorization_state

EVENTS = {"received": "收件", "accepted": "受理", "correction_notified": "一次性告知补正", "withdrawn": "申请人撤回",
          "transferred": "转出独立审批", "routed": "转办一般程序", "handed_over": "回避移交",
          "conflict_declared": "声明无利害关系", "extended": "延期", "decided_late": "逾期办结"}
CASE_STATES = {"received": "收件", "awaiting_correction": "待补正", "accepted": "已受理", "decided": "已办结",
               "not_accepted": "不予受理", "withdrawn": "已撤回", "transferred": "已转出"}
OUTCOMES = {"approved": "准予许可", "refused": "不予许可", "not_accepted": "不予受理"}
AUTHORIZATION_STATES = {"active": "有效", "expired": "已到期", "revoked": "已撤销", "pending": "未生效",
                        "renewed": "已续期"}
KEY_STATUS = {"active": "有效", "revoked": "已停用", "suspect": "计数器异常，已暂停"}
REVIEW_RESULTS = {"pass": "合格", "flaw": "瑕疵", "error": "错误", "合格": "合格", "瑕疵": "瑕疵", "错误": "错误"}


def find(principal: Principal, text: Any) -> int:
    """A case by its number (受理编号), its decision's 文号, or its id."""
    require_supervisor(principal)
    text = text.strip()[:100] if isinstance(text, str) else ""
    if not text:
        raise refuse("responsibility.no_query", "请输入受理编号或文号")
    with transaction() as session:
        case = session.exec(select(Case).where(Case.case_no == text)).first()
        if case is None:
            decision = session.exec(select(Decision).where(Decision.document_number == text)).first()
            case = session.get(Case, decision.case_id) if decision else None
        if case is None and text.isdigit() and len(text) < 12:
            case = session.get(Case, int(text))
        if case is None:
            raise refuse("responsibility.not_found", f"没有受理编号或文号为“{text}”的办件")
        return case.id


def _officer(session: Session, officer_id: Optional[int]) -> str:
    if officer_id is None:
        return "—"
    o = session.get(Officer, officer_id)
    return f"{o.name}（{o.staff_no}）" + ("，已退出" if o.status != "active" else "")


def _details(kind: str, details: dict, session: Session) -> str:
    if kind == "handed_over" and details.get("to_officer"):
        return f"移交 {_officer(session, details['to_officer'])}：{details.get('reason', '')}"
    if kind == "extended":
        return f"{details.get('old_deadline', '')} → {details.get('new_deadline', '')}：{details.get('reason', '')}"
    if kind == "accepted":
        return f"办结期限 {details.get('deadline', '')}"
    if kind == "received":
        return f"事项 {details.get('item_code', '')} 第 {details.get('item_revision', '')} 版"
    return str(details.get("reason") or details.get("note") or "、".join(details.get("materials", [])) or "")


def responsibility(principal: Principal, case_id: Any) -> dict:
    """The whole record of one case for auditors and the working group (plain strings, for display)."""
    require_supervisor(principal)
    with transaction() as session:
        case = session.get(Case, inputs.record_id(case_id))
        if case is None:
            raise refuse("responsibility.not_found", "办件不存在")
        item = session.get(Item, case.item_id)
        events = list(session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)
                                   .order_by(CaseEvent.at, CaseEvent.id)))
        first = {}
        for e in events:
            first.setdefault(e.kind, e)
        decision = session.exec(select(Decision).where(Decision.case_id == case.id)).first()
        steps = [{"at": local(e.at), "what": EVENTS.get(e.kind, e.kind), "officer": _officer(session, e.officer_id),
                  "details": _details(e.kind, e.details, session)} for e in events]
        signed = _decision(session, decision) if decision else {}
        if decision:
            steps.append({"at": local(decision.decided_at), "what": "审查并签署决定",
                          "officer": signed["approver"], "details": f"{signed['document_number']}（{signed['outcome']}）"})
            steps.sort(key=lambda s: s["at"])
        return {
            "case": {"id": str(case.id), "case_no": case.case_no, "item": f"{item.code} {item.name}",
                     "item_revision": str(case.item_revision),
                     "applicant": f"{case.applicant_name}（{case.applicant_id_type} {case.applicant_id_masked}）",
                     "state": CASE_STATES.get(case.state, case.state),
                     "outcome": OUTCOMES.get(case.outcome or "", ""),
                     "received_at": local(case.created_at),
                     "accepted_at": local(case.accepted_at) if case.accepted_at else "",
                     "deadline": case.deadline.isoformat() if case.deadline else "",
                     "decided_at": local(case.decided_at) if case.decided_at else "",
                     "late_reason": case.late_reason or "",
                     "approver_now": _officer(session, case.approver_id)},
            "who": {"received": _officer(session, first["received"].officer_id) if "received" in first else "—",
                    "accepted": _officer(session, first["accepted"].officer_id) if "accepted" in first else "—",
                    "reviewed": signed.get("approver", "—"), "decided": signed.get("approver", "—")},
            "decision": signed,
            "steps": steps,
            "findings": _findings(session, case.id),
            "visits": _visits(session, case.id),
        }


def _decision(session: Session, decision: Decision) -> dict:
    payload = json.loads(decision.payload)
    key = session.get(SecurityKey, decision.key_id)
    certificate = session.get(KeyCertificate, decision.certificate_id) if decision.certificate_id else None
    auth = session.get(Authorization, decision.authorization_id) if decision.authorization_id else None
    today = clock.today()
    categories = {c.code: c.name for c in session.exec(select(Category))}
    return {
        "document_number": decision.document_number, "outcome": OUTCOMES.get(decision.outcome, decision.outcome),
        "decided_at": local(decision.decided_at), "verification_code": decision.verification_code,
        "approver": _officer(session, decision.approver_id),
        "review_opinion": payload.get("review_opinion", ""),
        "key_id": str(decision.key_id), "credential_id": websafe_encode(decision.credential_id),
        "fingerprint": payload.get("key", {}).get("fingerprint", ""),
        "key_now": KEY_STATUS.get(key.status, key.status) + (f"（{local(key.revoked_at)} {key.revoke_reason or ''}）"
                                                            if key.revoked_at else ""),
        "certificate_serial": certificate.serial if certificate else payload.get("key", {}).get("certificate_serial", ""),
        "certificate_now": ("已吊销（" + local(certificate.revoked_at) + "）") if certificate and certificate.revoked_at
        else ("有效" if certificate else "—"),
        "authorization": (f"#{auth.id}（{auth.valid_from} 至 {auth.valid_until}；"
                          + "、".join([*(f"{categories.get(c, c)}类" for c in auth.scope_categories), *auth.scope_items])
                          + "）") if auth else "—",
        "authorization_now": AUTHORIZATION_STATES.get(authorization_state(auth, today), "") if auth else "—",
        "pdf_sha256": decision.pdf_sha256,
    }


def _findings(session: Session, case_id: int) -> list[dict]:
    rows = session.exec(select(SpotCheckReview, SpotCheck).join(SpotCheck, SpotCheckReview.spot_check_id == SpotCheck.id)
                        .where(SpotCheckReview.case_id == case_id).order_by(SpotCheckReview.reviewed_at)).all()
    return [{"quarter": check.quarter, "reviewed_at": local(r.reviewed_at), "reviewer": _officer(session, r.reviewer_id),
             "result": REVIEW_RESULTS.get(r.result, r.result), "notes": r.notes,
             "rectification": r.rectification_request or "",
             "due": r.rectification_due.isoformat() if r.rectification_due else "",
             "closed": (local(r.closed_at) + " " + (r.closing_evidence or "")) if r.closed_at else ""}
            for r, check in rows]


def _visits(session: Session, case_id: int) -> list[dict]:
    today = clock.today()
    out = []
    for v in session.exec(select(ReturnVisit).where(ReturnVisit.case_id == case_id)):
        status, overdue, late = status_of(v, today)
        out.append({"id": str(v.id), "drawn": f"{local(v.drawn_at)} {_officer(session, v.drawn_by)}",
                    "visited": (f"{local(v.visited_at)} {_officer(session, v.visited_by)}"
                                f"（{CHANNELS.get(v.channel or '', '')}）") if v.visited_at else "",
                    "ratings": "；".join(f"{ASPECTS[a]} {LEVELS[int(v.ratings[a])]}" for a in ASPECTS if a in v.ratings),
                    "comments": v.comments,
                    "status": STATUS[status] + ("（逾期）" if overdue else "") + ("（逾期办结）" if late else ""),
                    "due": v.rectification_due.isoformat() if v.rectification_due else "",
                    "closed": (f"{local(v.closed_at)} 核实：{v.verification}；整改：{v.closing_note}")
                    if v.closed_at else ""})
    return out
