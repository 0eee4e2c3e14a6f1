"""The public verify page: by the code printed under the QR, or by uploading the PDF. No sign-in."""

from __future__ import annotations

import reflex as rx

from app.rules import verification
from app.rules.errors import Refused
from app.state.files import file_bytes, read_file_script


def _record(record) -> dict[str, str]:
    return {"number": record.document_number, "title": record.title, "item": record.item,
            "applicant": record.applicant, "decided_at": record.decided_at, "approver": record.approver,
            "fingerprint": record.key_fingerprint, "pdf_sha256": record.pdf_sha256}


class VerifyState(rx.State):
    code: str = ""
    record: dict[str, str] = {}
    checks: list[dict[str, str]] = []
    verdict: str = ""
    problem: str = ""

    @rx.event
    def load(self):
        self.code = self.router.url.query_parameters.get("code", "")[:32]
        self.record, self.checks, self.verdict, self.problem = {}, [], "", ""
        if self.code:
            return VerifyState.lookup({"code": self.code})

    @rx.event
    def lookup(self, form_data: dict):
        self.record, self.checks, self.verdict, self.problem = {}, [], "", ""
        code = form_data.get("code") if isinstance(form_data, dict) else None
        try:
            self.record = _record(verification.by_code(code))
        except Refused as exc:
            self.problem = exc.message

    @rx.event
    def start_upload(self):
        return rx.call_script(read_file_script("verify-file"), callback=VerifyState.check_upload)

    @rx.event
    def check_upload(self, result: dict):
        self.record, self.checks, self.verdict, self.problem = {}, [], "", ""
        data, message = file_bytes(result)
        if data is None:
            self.problem = message
            return
        try:
            checks, record = verification.check_pdf(data)
        except Refused as exc:
            self.problem = exc.message
            return
        self.checks = [{"name": c.name, "ok": "1" if c.ok else "", "detail": c.detail} for c in checks]
        self.record = _record(record) if record else {}
        self.verdict = "有效：文件未被改动，由登记的审批员以其授权范围内的密钥签署" if all(c.ok for c in checks) \
            else "无效：至少一项核验未通过"
