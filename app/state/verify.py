"""The public verify page: by the code printed under the QR, or by uploading the PDF. No sign-in."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import reflex as rx

from app.rules import verification
from app.rules.errors import Refused
from app.state.files import file_bytes, read_file_script


# Upload checks wait for a sandbox slot (seconds at worst) on their own threads, so a flood of
# uploads cannot occupy the default executor that signing uses.
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="verify")


def _client(state: rx.State) -> str:
    """The address the server saw; never the client token, which the browser chooses."""
    return state.router.session.client_ip or "unknown"


def _record(record) -> dict[str, str]:
    return {"number": record.document_number, "title": record.title, "item": record.item,
            "applicant": record.applicant, "decided_at": record.decided_at, "approver": record.approver,
            "fingerprint": record.key_fingerprint, "pdf_sha256": record.pdf_sha256}


class VerifyState(rx.State):
    code: str = ""
    record: dict[str, str] = {}
    checks: list[dict[str, str]] = []
    verdict: str = ""
    valid: bool = False
    notes: list[str] = []
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
            self.record = _record(verification.by_code(code, _client(self)))
        except Refused as exc:
            self.problem = exc.message

    @rx.event
    def start_upload(self):
        return rx.call_script(read_file_script("verify-file"), callback=VerifyState.check_upload)

    @rx.event(background=True)
    async def check_upload(self, result: dict):
        async with self:
            self.record, self.checks, self.verdict, self.problem = {}, [], "", ""
            client = _client(self)
        data, message = file_bytes(result)
        if data is None:
            async with self:
                self.problem = message
            return
        try:
            result = await asyncio.get_running_loop().run_in_executor(_checks, verification.check_pdf, data, client)
        except Refused as exc:
            async with self:
                self.problem = exc.message
            return
        async with self:
            self.checks = [{"name": c.name, "ok": "1" if c.ok else "", "detail": c.detail} for c in result.checks]
            self.record = _record(result.record) if result.record else {}
            self.notes = result.notes
            self.verdict, self.valid = result.headline, result.valid
