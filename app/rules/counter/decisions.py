"""Deciding and signing (SPEC §4 "Signing a decision", §5).

prepare(): every check, 文号 reserved, content fixed, PDF rendered, payload hashed, challenge
issued = SHA-256(payload) ‖ nonce. Only the assertion is missing, so complete() — the part the
approver waits for after touching the key — verifies, embeds the evidence and stores, nothing more."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from dataclasses import dataclass
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Any

from fido2.utils import websafe_decode, websafe_encode
from sqlmodel import Session, select

from app.config import settings
from app import storage
from app.db import transaction
from app.models import Authorization, Case, Category, Decision, Item, Officer, SecurityKey
from app.models.base import utcnow
from app.rules import audit, inputs
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.counter import document_numbers
from app.rules.people import eligibility
from app.rules.canonical import canonical_json
from app.rules.counter.cases import NOT_ACCEPTED_REASONS, _int_list, accepted_item, event, own_case
from app.rules.errors import refuse
from app.rules.people.key_state import record_use, suspending_clones
from app.rules.people.roles import APPROVER, AUDITOR
from app.rules.people.scope import authorization_state, covers, exclusions, scope_digest
from app.rules.principal import Principal
from app.rules.refusals import audit_refusals
from app.signing import webauthn
from app.signing.document import decision_html
from app.signing.evidence import NONCE_BYTES, PAYLOAD_FORMAT, attach_evidence, build_evidence, key_fingerprint
from app.signing.pades import sealer
from app.signing.pki import bureau
from app.signing.renderer import render_pdf

log = logging.getLogger(__name__)

# accepted → 准予/不予许可; received with a 不予受理 reason → 不予受理决定书
SIGNABLE_STATES = ("accepted", "received")
REGULATION = "《张店区行政审批服务局推行“独立审批”制度的实施方案（试行）》"
NOT_ACCEPTED_BASIS = {"not_permit": "《中华人民共和国行政许可法》第三十二条第一款第（一）项",
                      "not_organ": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
                      "not_independent": REGULATION}


@dataclass(frozen=True)
class SigningRequest:
    challenge_id: str
    options_json: str
    document_number: str


def check_signable(session: Session, principal: Principal, case: Case, key: SecurityKey | None) -> Item:
    """SPEC §5 checks that do not need the assertion; run at prepare and again at complete."""
    if APPROVER not in principal.roles:
        raise refuse("role.denied", "无权操作：此功能仅限独立审批员")
    if case.approver_id != principal.officer_id:
        raise refuse("case.not_own", "办件不属于您")
    if key is None or key.officer_id != principal.officer_id:
        raise refuse("key.not_own", "密钥不属于当前登录人")
    if key.status != "active":
        raise refuse("key.inactive", "密钥已停用或已暂停，不能签署")
    if key.authorization_id is None:
        raise refuse("key.unbound", "该密钥未绑定独立审批授权，不能签署决定")
    blocked = eligibility.blocks_signing(session, principal.officer_id, clock.today())
    if blocked:  # regulation 四 must keep holding while the authorization runs
        raise refuse("authorization.ineligible", f"您当前不能签署决定：{blocked}（待工作组处理）")
    auth = session.get(Authorization, key.authorization_id)
    state = authorization_state(auth, clock.today())
    if state != "active":
        raise refuse("authorization.inactive", {"revoked": "密钥绑定的授权已撤销", "expired": "密钥绑定的授权已到期",
                                                "pending": "密钥绑定的授权尚未生效"}[state])
    if scope_digest(auth, key.scope_items) != key.scope_digest:
        raise refuse("key.scope_changed", "授权范围已变更，密钥须经工作组重新绑定")
    item = session.get(Item, case.item_id)
    if not covers(auth, item, session.get(Category, item.category_id).code):
        raise refuse("scope.item_outside", f"“{item.name}”超出密钥的授权范围")
    if item.code not in key.scope_items:
        raise refuse("scope.not_bound", f"“{item.name}”是密钥绑定后才纳入授权范围的事项，须经工作组确认扩大密钥范围后方可签署")
    if not item.independent:
        raise refuse("item.not_independent", f"“{item.name}”已不在独立审批事项清单内")
    flags = exclusions(item)
    if flags:
        raise refuse("item.excluded", f"“{item.name}”{'、'.join(flags)}，不能独立审批")
    if case.state not in SIGNABLE_STATES:
        raise refuse("case.not_signable", "办件当前状态不能签署决定")
    return item


def _not_accepted_text(case: Case, item: dict) -> list[str]:
    received = case.created_at.astimezone(clock.BEIJING)
    lead = f"你（单位）于{received.year}年{received.month}月{received.day}日提出的{item['name']}申请，经审查，"
    ending = {"not_permit": "本机关决定不予受理。该事项依法不需要取得行政许可。",
              "not_organ": "本机关决定不予受理。请向有权作出该行政许可的行政机关提出申请。",
              "not_independent": "本机关决定不予受理独立审批申请。你（单位）可以依法按一般程序提出申请。"}
    return [lead + f"{NOT_ACCEPTED_REASONS[case.closing_category]}（理由列后）。",
            f"根据{NOT_ACCEPTED_BASIS[case.closing_category]}的规定，" + ending[case.closing_category]]


def _permit(item: dict, outcome: str, content: Any, decided_on: date) -> dict:
    """许可内容 and validity of an approval, where the accepted item has them; the approver may make
    the content specific to this application. Valid from the decision day for the item's months."""
    if outcome != "approved":
        return {"content": "", "valid_from": "", "valid_until": ""}
    text = content.strip()[:500] if isinstance(content, str) and content.strip() else item.get("permit_content", "")
    months = item.get("validity_months", 0)  # revisions recorded before it existed have none
    if not months:
        return {"content": text, "valid_from": "", "valid_until": ""}
    year, month = divmod(decided_on.month - 1 + months, 12)
    year += decided_on.year
    end = date(year, month + 1, min(decided_on.day, monthrange(year, month + 1)[1])) - timedelta(days=1)
    return {"content": text, "valid_from": decided_on.isoformat(), "valid_until": end.isoformat()}


def _decision_text(item: dict, refusal_reasons: list[dict]) -> list[str]:
    basis = item["legal_basis"] or "相关法律法规"
    accepted = f"你（单位）提出的{item['name']}申请，本机关已依法受理。"
    if refusal_reasons:
        return [f"{accepted}经审查，你（单位）的申请不符合{basis}规定的下列条件（理由逐条列后）。",
                f"根据{basis}和《中华人民共和国行政许可法》第三十八条第二款的规定，本机关决定不予行政许可。"]
    return [f"{accepted}经审查，申请材料齐全、符合法定形式，符合{basis}规定的条件。",
            "根据《中华人民共和国行政许可法》第三十八条第一款的规定，本机关决定准予行政许可。"]


def _remedy() -> str:
    return (f"如不服本决定，可以自收到本决定书之日起六十日内向{settings.reconsideration_body}申请行政复议，"
            "或者自收到本决定书之日起六个月内依法向有管辖权的人民法院提起行政诉讼。")


def _draft_key(document_sha256: str) -> str:
    return f"drafts/{document_sha256}.pdf"


def pdf_key(pdf_sha256: str) -> str:
    return f"pdfs/{pdf_sha256}.pdf"


def _outcome(item: dict, met: list[int], reasons: Any) -> tuple[str, list[dict]]:
    """准予 when every condition is met; otherwise 不予, with a reason for each condition not met
    (行政许可法 第三十八条第二款: a refusal must give its reasons)."""
    unmet = [i for i in range(len(item["conditions"])) if i not in met]
    if not unmet:
        return "approved", []
    reasons = reasons if isinstance(reasons, dict) else {}
    given = {i: str(reasons.get(str(i)) or reasons.get(i) or "").strip()[:500] for i in unmet}
    missing = [item["conditions"][i] for i, text in given.items() if not text]
    if missing:
        raise refuse("case.reason_missing", f"不予许可须逐条说明不符合的理由，尚缺：{'；'.join(missing)}")
    return "refused", [{"condition": item["conditions"][i], "reason": given[i]} for i in unmet]


OUTCOMES = {"approved": ("准予行政许可决定书", "doc_number_pattern"),
            "refused": ("不予行政许可决定书", "refusal_number_pattern"),
            "not_accepted": ("不予受理决定书", "not_accepted_number_pattern")}


@audit_refusals("decision.prepare")
def prepare(principal: Principal, case_id: Any, conditions_met: Any, opinion: Any, reasons: Any = None,
            late_reason: Any = None, permit_content: Any = None, no_conflict: Any = None) -> SigningRequest:
    """Blocking (renders the PDF): call from a worker thread. An accepted case's outcome follows the
    review: every condition met → 准予; otherwise 不予, with a reason for each condition not met. A
    received case with a 不予受理 reason gets the 不予受理决定书. The approver's review opinion (审查意见)
    is required either way and signed with the decision; so is a reason when the deadline has passed."""
    met = _int_list(conditions_met)
    opinion = inputs.reason(opinion, "请填写审查意见（审批人须写明意见，不得只签名）")
    with transaction() as session:
        case = own_case(session, principal, case_id)
        key = session.get(SecurityKey, principal.key_id)
        check_signable(session, principal, case, key)  # today's catalog decides whether it may be signed …
        item = accepted_item(session, case)  # … the version accepted decides what it says
        if not case.no_conflict_declared:  # handed over (回避): the new approver declares first
            if no_conflict is not True:
                raise refuse("case.conflict_not_declared", "接手的办件须先声明与本申请无利害关系（回避）")
            case.no_conflict_declared = True
            session.add(case)
            event(session, case, "conflict_declared", principal.officer_id)
        late = case.state == "accepted" and case.deadline is not None and clock.today() > case.deadline
        late_reason = inputs.reason(late_reason, f"已超过办结期限（{case.deadline}），须写明逾期原因") if late else ""
        if any(i >= len(item["conditions"]) for i in met):
            raise refuse("input.invalid", "审查清单不符")
        if case.state == "received":
            outcome, met = "not_accepted", []
            refusal_reasons = [{"condition": NOT_ACCEPTED_REASONS[case.closing_category], "reason": case.closing_reason}]
            decision_text = _not_accepted_text(case, item)
        else:
            outcome, refusal_reasons = _outcome(item, met, reasons)
            decision_text = _decision_text(item, refusal_reasons)
        title, pattern = OUTCOMES[outcome]
        now = clock.now_beijing().replace(microsecond=0)
        number = document_numbers.reserve(session, getattr(settings, pattern), now.year, case.id, outcome)
        approver = session.get(Officer, principal.officer_id)
        cose_key = certificates.cose_key(key)
        certificate = certificates.current(session, key)
        code = secrets.token_hex(8).upper()
        content = {
            "format": PAYLOAD_FORMAT, "organ": settings.organ_name, "title": title,
            "outcome": outcome, "document_number": number, "case_no": case.case_no,
            "accepted_at": case.accepted_at.astimezone(clock.BEIJING).isoformat() if case.accepted_at else "",
            "item": {"code": item["code"], "name": item["name"], "revision": case.item_revision,
                     "legal_basis": item["legal_basis"]},
            "applicant": {"name": case.applicant_name, "id_type": case.applicant_id_type,
                          "id_number_masked": case.applicant_id_masked},
            "conditions_met": [item["conditions"][i] for i in met], "review_opinion": opinion,
            "refusal_reasons": refusal_reasons, "decision_text": decision_text,
            "permit": _permit(item, outcome, permit_content, now.date()), "remedy": _remedy(),
            "approver": {"staff_no": approver.staff_no, "name": approver.name},
            "key": {"credential_id": websafe_encode(key.credential_id), "fingerprint": key_fingerprint(cose_key),
                    "certificate_serial": certificate.serial},
            "decided_at": now.isoformat(), "verification_code": code,
            "verify_url": f"{settings.origin}/verify?code={code}",
            "origin": settings.origin, "rp_id": settings.rp_id,
        }
    pdf = render_pdf(decision_html(content, outcome))
    doc_sha = hashlib.sha256(pdf).hexdigest()
    storage.store().put(_draft_key(doc_sha), pdf, durable=False)  # another worker may complete
    payload = canonical_json({**content, "document": {"sha256": doc_sha, "length": len(pdf)}})
    challenge = hashlib.sha256(payload).digest() + os.urandom(NONCE_BYTES)
    options, state = webauthn.begin_assertion([key.credential_id], challenge)
    with transaction() as session:
        challenge_id = webauthn.store_challenge(session, "sign", state, principal.officer_id,
                                                {"case_id": case.id, "key_id": key.id, "certificate_id": certificate.id,
                                                 "late_reason": late_reason, "payload": payload.decode("utf-8")})
    return SigningRequest(challenge_id, options, number)


@audit_refusals("decision.sign")
def complete(principal: Principal, challenge_id: Any, response: Any) -> Decision:
    """Verify the assertion and store the signed decision, all or nothing."""
    assertion = webauthn.parse_assertion(response)
    challenge = webauthn.consume_challenge(challenge_id, "sign", principal.officer_id)
    with suspending_clones():
        return _store_signed(principal, challenge, assertion)


def _store_signed(principal: Principal, challenge, assertion) -> Decision:
    payload = challenge.context["payload"].encode("utf-8")
    content = json.loads(payload)
    challenge_bytes = websafe_decode(challenge.state["challenge"])
    if challenge_bytes[:32] != hashlib.sha256(payload).digest():
        raise refuse("payload.digest_mismatch", "决定内容与签署请求不符")
    store = storage.store()
    draft_key = _draft_key(content["document"]["sha256"])
    pdf = store.get(draft_key) or b""
    if hashlib.sha256(pdf).hexdigest() != content["document"]["sha256"]:
        raise refuse("document.missing", "决定书底稿缺失或被改动，请重新签署")
    written: list[str] = []
    try:
        decision = _store_in_one_transaction(principal, challenge, assertion, payload, content, challenge_bytes,
                                             pdf, written)
    except BaseException:
        # On a local folder the file is written before the commit (so a row never lacks its
        # file); if the commit fails, the file goes too: no file without its row. In the database
        # the blob was part of the transaction and went with it.
        for key in written:
            store.discard(key)
        raise
    # Signed: the draft is the sealed PDF's first revision, byte for byte. Not a record; an
    # unsigned draft is removed at start-up once it is a day old (prune_drafts).
    try:
        store.delete(draft_key)
    except Exception:  # noqa: BLE001 — the decision is stored; a stale draft is pruned later
        log.warning("draft %s not removed", draft_key, exc_info=True)
    return decision


def _store_in_one_transaction(principal: Principal, challenge, assertion, payload: bytes, content: dict,
                              challenge_bytes: bytes, pdf: bytes, written: list[str]) -> Decision:
    with transaction() as session:
        case = own_case(session, principal, challenge.context["case_id"])
        key = session.exec(select(SecurityKey).where(SecurityKey.credential_id == assertion.raw_id)).first()
        if key is None or key.id != challenge.context["key_id"]:
            raise refuse("key.mismatch", "所用密钥与签署请求不符")
        check_signable(session, principal, case, key)
        certificate = certificates.current(session, key)
        if certificate.id != challenge.context["certificate_id"]:
            raise refuse("key.certificate_changed", "密钥证书已变更（授权续期或范围调整），请重新签署")
        new_count = webauthn.verify_assertion(challenge.state, key, assertion)
        if session.exec(select(Decision).where(Decision.document_number == content["document_number"])).first():
            raise refuse("decision.number_used", "文号已被使用")
        record_use(session, key, new_count)
        ad = bytes(assertion.response.authenticator_data)
        cdj = bytes(assertion.response.client_data)
        evidence = build_evidence(
            payload=payload, challenge=challenge_bytes, credential_id=key.credential_id,
            cose_key=certificates.cose_key(key), authenticator_data=ad, client_data_json=cdj,
            signature=assertion.response.signature, certificates=[certificate.der, bureau().certificate_der])
        sealed = sealer().seal(attach_evidence(pdf, evidence), f"{content['title']} {content['document_number']}")
        pdf_sha = hashlib.sha256(sealed).hexdigest()
        written.append(pdf_key(pdf_sha))
        storage.store().put(pdf_key(pdf_sha), sealed, session=session)  # same transaction as the row (database)
        document_numbers.void_unused(session, case.id, content["document_number"],
                                     f"办件以{content['title']}（{content['document_number']}）办结")
        decision = Decision(
            case_id=case.id, outcome=content["outcome"], document_number=content["document_number"],
            verification_code=content["verification_code"],
            decided_at=datetime.fromisoformat(content["decided_at"]), approver_id=principal.officer_id,
            key_id=key.id, authorization_id=key.authorization_id, scope_digest=key.scope_digest,
            scope_items=key.scope_items, certificate_id=certificate.id,
            payload=payload.decode("utf-8"), payload_sha256=hashlib.sha256(payload).hexdigest(),
            challenge=challenge_bytes, credential_id=key.credential_id, authenticator_data=ad,
            client_data_json=cdj, signature=assertion.response.signature, sign_count=new_count,
            document_sha256=content["document"]["sha256"], pdf_sha256=pdf_sha, pdf_size=len(sealed))
        session.add(decision)
        case.state = "not_accepted" if content["outcome"] == "not_accepted" else "decided"
        case.outcome, case.decided_at = content["outcome"], decision.decided_at
        if challenge.context.get("late_reason"):
            case.late_reason = challenge.context["late_reason"]
            event(session, case, "decided_late", principal.officer_id, deadline=str(case.deadline),
                  reason=case.late_reason)
        session.add(case)
        session.flush()
        audit.record(session, "decision.signed", f"case:{case.id}", principal.officer_id,
                     decision_id=decision.id, document_number=decision.document_number, key_id=key.id,
                     payload_sha256=decision.payload_sha256, pdf_sha256=pdf_sha, sign_count=new_count)
        return decision


def quarantine_orphan_pdfs(min_age_seconds: int = 600) -> list[str]:
    """A process killed between writing a PDF and committing its row leaves a file no row names
    (only on a local folder: in the database the blob commits with its row): moved aside to
    orphans/ (kept, not deleted) when the app starts."""
    store = storage.store()
    entries = [e for e in store.list("pdfs") if storage.older_than(e, min_age_seconds)]
    if not entries:
        return []
    with transaction() as session:
        known = set(session.exec(select(Decision.pdf_sha256)).all())
    moved = []
    for entry in entries:
        name = entry.key.split("/", 1)[1]
        if name.endswith(".pdf") and name[:-4] not in known:
            try:
                store.move(entry.key, f"orphans/{name}")
            except FileNotFoundError:  # another worker starting at the same time moved it
                continue
            moved.append(name)
    return moved


DRAFT_MAX_AGE_SECONDS = 24 * 3600


def prune_drafts(min_age_seconds: int = DRAFT_MAX_AGE_SECONDS) -> int:
    """Drafts of decisions never signed (the approver cancelled, or the challenge expired after
    120 s): renderings, not records, and no longer signable. Removed once a day old."""
    store = storage.store()
    stale = [e.key for e in store.list("drafts") if storage.older_than(e, min_age_seconds)]
    for key in stale:
        store.delete(key)
    return len(stale)


def read_pdf(decision: Decision, session: Session | None = None) -> bytes:
    """The stored PDF, checked against the digest recorded with the decision. Inside a transaction
    pass its session (the database backend reads through it)."""
    data = storage.store().get(pdf_key(decision.pdf_sha256), session=session)
    if data is None:
        raise refuse("decision.pdf_missing", "决定书文件缺失，请联系系统管理员从备份恢复")
    if hashlib.sha256(data).hexdigest() != decision.pdf_sha256:
        raise refuse("decision.pdf_corrupt", "决定书文件与登记的摘要不符")
    return data


def decision_of_case(case_id: int) -> Decision | None:
    with transaction() as session:
        return session.exec(select(Decision).where(Decision.case_id == case_id)).first()


def pdf_for(principal: Principal, decision_id: Any) -> tuple[str, bytes]:
    """The approver who signed it and auditors may download a decision; each download is logged."""
    decision_id = inputs.record_id(decision_id)
    with transaction() as session:
        decision = session.get(Decision, decision_id)
        own = decision is not None and decision.approver_id == principal.officer_id and APPROVER in principal.roles
        if decision is None or not (own or AUDITOR in principal.roles):
            raise refuse("decision.not_visible", "决定书不存在或无权查看")
        pdf = read_pdf(decision, session)
        audit.record(session, "decision.downloaded", f"decision:{decision.id}", principal.officer_id,
                     document_number=decision.document_number)
        return decision.document_number, pdf


def all_decisions(principal: Principal, limit: int = 100) -> list[tuple[Decision, Case, Item, Officer]]:
    principal.require(AUDITOR)
    with transaction() as session:
        return list(session.exec(select(Decision, Case, Item, Officer)
                                 .join(Case, Decision.case_id == Case.id).join(Item, Case.item_id == Item.id)
                                 .join(Officer, Decision.approver_id == Officer.id)
                                 .order_by(Decision.id.desc()).limit(limit)).all())
