"""The public verify page: by the code printed under the QR, or by uploading the PDF. No sign-in."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import reflex as rx

from urllib.parse import quote

from app.rules.counter import verification
from app.signing import pki
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
            "fingerprint": record.key_fingerprint, "pdf_sha256": record.pdf_sha256, "state": record.state}


def _code_headline(record) -> str:
    return (f"本局于 {record.decided_at[:4]} 年 {int(record.decided_at[5:7])} 月 {int(record.decided_at[8:10])} 日"
            f"出具{record.title}（{record.document_number}），当前状态：{record.state}")


class VerifyState(rx.State):
    code: str = ""
    record: dict[str, str] = {}
    checks: list[dict[str, str]] = []
    verdict: str = ""
    valid: bool = False
    notes: list[str] = []
    problem: str = ""
    file_name: str = ""
    checking: bool = False

    def _reset(self) -> None:
        self.record, self.checks, self.verdict, self.valid, self.notes, self.problem = {}, [], "", False, [], ""

    @rx.event
    def load(self):
        """The code lives in the address (/verify?code=…) so a result can be shared."""
        self._reset()
        self.code = self.router.url.query_parameters.get("code", "")[:32]
        if not self.code:
            return
        try:
            record = verification.by_code(self.code, _client(self))
        except Refused as exc:
            self.problem = exc.message
            return
        self.record, self.verdict, self.valid = _record(record), _code_headline(record), record.state == "有效"

    @rx.event
    def lookup(self, form_data: dict):
        code = form_data.get("code") if isinstance(form_data, dict) else None
        code = code.strip().upper()[:32] if isinstance(code, str) else ""
        if not code:
            self._reset()
            self.problem = "请输入决定书上的核验码"
            return
        return rx.redirect(f"/verify?code={quote(code)}")

    @rx.event
    def choose_file(self, value: str):
        self.file_name = value.replace("\\", "/").rsplit("/", 1)[-1][:100] if isinstance(value, str) else ""

    @rx.event
    def start_upload(self):
        if self.checking:
            return
        return rx.call_script(read_file_script("verify-file"), callback=VerifyState.check_upload)

    @rx.event(background=True)
    async def check_upload(self, result: dict):
        async with self:
            if self.checking:
                return
            self._reset()
            self.checking = True
            client = _client(self)
        data, message = file_bytes(result)
        if data is None:
            async with self:
                self.problem, self.checking = message, False
            return
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(_checks, verification.check_pdf, data, client)
        except Refused as exc:
            async with self:
                self.problem, self.checking = exc.message, False
            return
        async with self:
            self.checks = [{"name": c.name, "ok": "1" if c.ok else "", "detail": c.detail} for c in outcome.checks]
            self.record = _record(outcome.record) if outcome.record else {}
            self.notes = outcome.notes
            self.verdict, self.valid, self.checking = outcome.headline, outcome.valid, False

    @rx.event
    def download_root(self):
        """The bureau's root certificate: what an offline verifier needs (public, no sign-in)."""
        return rx.download(data=pki.bureau().root_pem, filename="zhangdian-approval-root.pem",
                           mime_type="application/x-pem-file")

    @rx.event
    def download_crl(self):
        crl = verification.latest_crl()
        if crl is None:
            self.problem = "本局尚未发布吊销列表（没有被撤销的密钥证书）"
            return
        return rx.download(data=crl, filename="zhangdian-approval.crl", mime_type="application/pkix-crl")
