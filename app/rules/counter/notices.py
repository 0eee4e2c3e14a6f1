"""The notices the counter hands to the applicant (行政许可法 第三十二条: dated vouchers): 受理通知书,
补正材料通知书, 撤回申请确认书, 转出独立审批告知书. Not key-signed: the approver's decisions are.

The content is fixed in the case's own transaction (so a case never lacks its notice); the PDF is
rendered from it the first time it is printed or downloaded, outside any transaction, and stored
with the case as it was handed over."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from app.config import settings
from app.db import transaction
from app.models import Case, CaseNotice, Item, Officer
from app.rules import audit, inputs
from app.rules.calendar import clock
from app.rules.catalog.items import limit_text, material_text
from app.rules.errors import refuse
from app.rules.principal import Principal
from app.rules.people.roles import ADMIN, APPROVER, AUDITOR

TITLES = {"acceptance": "受理通知书", "correction": "补正材料通知书", "withdrawal": "撤回申请确认书",
          "transfer": "转出独立审批告知书"}


def issue(session: Session, principal: Principal, case: Case, kind: str, **extra: Any) -> CaseNotice:
    """The notice's content, from the accepted item revision and the case as it stands now."""
    from app.rules.counter.cases import accepted_item  # cases imports this module

    item = accepted_item(session, case)
    approver = session.get(Officer, principal.officer_id)
    current = session.get(Item, case.item_id)
    content = {
        "title": TITLES[kind], "kind": kind, "organ": settings.organ_name, "document_number": case.case_no,
        "case_no": case.case_no, "issued_at": clock.now_beijing().replace(microsecond=0).isoformat(),
        "received_at": case.created_at.astimezone(clock.BEIJING).isoformat(),
        "applicant": {"name": case.applicant_name, "id_type": case.applicant_id_type,
                      "id_number_masked": case.applicant_id_masked},
        "item": {"code": item["code"], "name": item["name"], "revision": case.item_revision},
        "approver": {"name": approver.name, "staff_no": approver.staff_no},
        "consult_phone": current.consult_phone, "supervise_phone": current.supervise_phone,
        "materials": [{"name": m["name"], "form": material_text(m)}
                      for i, m in enumerate(item["materials"]) if i in case.materials_received],
        "correction": list(case.correction), "limit": limit_text(item["promised_limit_days"]),
        "statutory_limit": f"{item['statutory_limit_days']} 个工作日",
        "deadline": case.deadline.isoformat() if case.deadline else "",
        "deadline_provisional": case.deadline_provisional, **extra,
    }
    notice = CaseNotice(case_id=case.id, kind=kind, officer_id=principal.officer_id, content=content, pdf_sha256="")
    session.add(notice)
    session.flush()
    audit.record(session, "notice.issued", f"case:{case.id}", principal.officer_id, notice_id=notice.id,
                 kind=kind, case_no=case.case_no)
    return notice


def notices_of(session: Session, case_id: int) -> list[CaseNotice]:
    return list(session.exec(select(CaseNotice).where(CaseNotice.case_id == case_id).order_by(CaseNotice.id)))


def _visible(session: Session, principal: Principal, notice_id: Any) -> tuple[CaseNotice, Case]:
    notice = session.get(CaseNotice, inputs.record_id(notice_id))
    case = session.get(Case, notice.case_id) if notice else None
    own = case is not None and APPROVER in principal.roles and case.approver_id == principal.officer_id
    if case is None or not (own or AUDITOR in principal.roles or ADMIN in principal.roles):
        raise refuse("notice.not_visible", "通知书不存在或无权查看")
    return notice, case


def pdf(principal: Principal, notice_id: Any) -> tuple[str, bytes]:
    """(file name, PDF). Blocking on first use (renders): call from a worker thread."""
    from app.signing.document import render
    from app.signing.renderer import render_pdf

    with transaction() as session:
        notice, case = _visible(session, principal, notice_id)
        content, stored = dict(notice.content), notice.pdf
    if not stored:
        rendered = render_pdf(render(f"notice_{notice.kind}", content))
        with transaction() as session:
            # Rendered once: a concurrent first print keeps whichever was stored first.
            session.execute(update(CaseNotice).where(CaseNotice.id == notice.id, CaseNotice.pdf_sha256 == "")
                            .values(pdf=rendered, pdf_sha256=hashlib.sha256(rendered).hexdigest()))
    with transaction() as session:
        notice, case = _visible(session, principal, notice_id)
        audit.record(session, "notice.downloaded", f"case:{case.id}", principal.officer_id, notice_id=notice.id)
        return f"{TITLES[notice.kind]}-{case.case_no}.pdf", notice.pdf
