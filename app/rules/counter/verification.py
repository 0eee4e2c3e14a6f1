"""Public verification (SPEC "Verification"): anyone holding a decision's code or PDF can check it.
准予 decisions are public (行政许可法 第四十条); what is shown carries no personal ID number.

The page is public, so an uploaded PDF is hostile input: its offline check runs in a sandboxed
child process (app.signing.sandbox) and only the small verdict comes back here. `client` is the
caller's IP address as the server saw it (rate limits); None for trusted in-process callers."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

from sqlmodel import select

from app.db import transaction
from app.models import Authorization, Decision, SecurityKey
from app.rules import personal_data, ratelimit
from app.rules.people import certificates
from app.rules.calendar import clock
from app.rules.errors import refuse
from app.rules.people.scope import scope_digest
from app.signing import pki, sandbox
from app.signing.evidence import Check

UPLOADS_PER_MINUTE = 10
LOOKUPS_PER_MINUTE = 30


def _limit(bucket: str, client: Optional[str], limit: int) -> None:
    if client is not None and not ratelimit.allow(bucket, client, limit, 60):
        raise refuse("verify.rate_limited", "核验过于频繁，请一分钟后再试")


@dataclass(frozen=True)
class Record:
    document_number: str
    title: str
    item: str
    applicant: str
    decided_at: str
    approver: str
    key_fingerprint: str
    pdf_sha256: str
    state: str = "有效"  # later: 已更正 / 已撤销 (行政许可法 第六十九条), as new signed documents


def _record(decision: Decision) -> Record:
    payload = json.loads(decision.payload)
    return Record(decision.document_number, payload["title"], f"{payload['item']['name']}（{payload['item']['code']}）",
                  personal_data.public_name(payload["applicant"]["name"], payload["applicant"]["id_type"]),
                  payload["decided_at"][:19].replace("T", " "),
                  payload["approver"]["name"], payload["key"]["fingerprint"], decision.pdf_sha256)


def by_code(code: Any, client: Optional[str] = None) -> Record:
    _limit("verify.code", client, LOOKUPS_PER_MINUTE)
    code = code.strip().upper() if isinstance(code, str) else ""
    if not (8 <= len(code) <= 32 and code.isalnum()):
        raise refuse("verify.bad_code", "核验码格式不正确")
    with transaction() as session:
        decision = session.exec(select(Decision).where(Decision.verification_code == code)).first()
        if decision is None:
            raise refuse("verify.unknown_code", "未找到该核验码对应的决定书")
        return _record(decision)


@dataclass
class UploadVerdict:
    valid: bool
    headline: str
    notes: list[str]
    checks: list[Check]
    record: Optional[Record]


def check_pdf(pdf: Any, client: Optional[str] = None) -> UploadVerdict:
    """The strict offline verifier (sandboxed, with the bureau's root and newest CRL), then the
    bureau's records: the same decision, the key registered to that approver, bound to an
    authorization in force that day, the item among the key's bound items. Blocking (a child
    process, up to seconds): call from a worker thread."""
    _limit("verify.upload", client, UPLOADS_PER_MINUTE)
    if not isinstance(pdf, (bytes, bytearray)) or not pdf.startswith(b"%PDF"):
        raise refuse("verify.not_pdf", "请上传决定书 PDF 文件")
    pdf = bytes(pdf)
    with tempfile.TemporaryDirectory() as tmp:  # the records' newest CRL, not a file that may lag
        crl = latest_crl()
        crl_file = Path(tmp) / "bureau.crl" if crl else None
        if crl_file:
            crl_file.write_bytes(crl)
        verdict = sandbox.check(pdf, pki.pki_dir() / pki.ROOT_FILE, crl_file)
    checks = list(verdict.checks)
    payload_sha = hashlib.sha256(verdict.payload.encode("utf-8")).hexdigest()
    with transaction() as session:
        decision = session.exec(select(Decision).where(Decision.payload_sha256 == payload_sha)).first()
        checks.append(Check("本局登记有此决定", decision is not None))
        if decision is not None:
            checks.append(Check("文件与登记的决定书一致", hashlib.sha256(pdf).hexdigest() == decision.pdf_sha256))
            key = session.get(SecurityKey, decision.key_id)
            checks.append(Check("密钥登记于该审批员名下", key.officer_id == decision.approver_id
                                and key.credential_id == decision.credential_id))
            auth = session.get(Authorization, decision.authorization_id) if decision.authorization_id else None
            code = json.loads(decision.payload)["item"]["code"]
            checks.append(Check("签署时授权有效且涵盖该事项", auth is not None and _was_active(auth, decision.decided_at)
                                and decision.scope_digest == scope_digest(auth, decision.scope_items)
                                and code in decision.scope_items))
        record = _record(decision) if decision is not None else None
    # A v1 file (no seal, no certificate) is vouched for by the records only: the same bytes as
    # the registered decision ("文件与登记的决定书一致"), whose key and authorization are checked here.
    valid = (verdict.valid or (verdict.version == 1 and verdict.intact)) and all(c.ok for c in checks)
    if valid:
        headline = (f"有效：{record.title}（{record.document_number}）由本局于 {record.decided_at[:10]} 出具，"
                    f"审批人 {record.approver} 以本人安全密钥签署，文件未被改动")
    else:
        headline = "无效：此文件不是本局出具的决定书，或已被改动（见技术详情）"
    return UploadVerdict(valid, headline, verdict.notes, checks, record)


def _was_active(auth: Authorization, at: datetime) -> bool:
    """In force at that moment, whatever happened to it later (revocation, renewal)."""
    day = at.astimezone(clock.BEIJING).date()
    return (auth.valid_from <= day <= auth.valid_until
            and (auth.revoked_at is None or auth.revoked_at > at)
            and (auth.superseded_at is None or auth.superseded_at > at))


def latest_crl() -> bytes | None:
    with transaction() as session:
        return certificates.latest_crl(session)
