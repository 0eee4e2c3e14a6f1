"""Auditors (评查): find signed decisions, download one PDF, export a search as Excel or as a ZIP
of its PDFs (built in the background with progress, handed over by a one-time HTTP link), read the
audit log, download the log's checkpoints. Every rule checks the auditor again; the search the
exports use is the one this tab last ran (a backend var), never a client argument."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.http import EXPORT_PREFIX
from app.rules.supervision import audit_log
from app.rules.supervision import checkpoints
from app.rules.supervision import decision_archive
from app.rules.supervision import decision_search
from app.rules.supervision import exports
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.people.roles import AUDITOR
from app.state.auth import AuthState, to_int

FORM_FIELDS = ("date_from", "date_to", "approver_id", "item_id", "outcome", "document_number", "case_no", "applicant")
LOG_FIELDS = ("group", "officer_id", "date_from", "date_to")
PROGRESS_SECONDS = 0.3
ANY = "all"  # the "any" item of the page's selects


def _form(form_data, fields) -> dict[str, str]:
    """The submitted fields this page has, as short strings (the rule checks each one)."""
    form = form_data if isinstance(form_data, dict) else {}
    return {k: form[k].strip()[:200] for k in fields
            if isinstance(form.get(k), str) and form[k].strip() and form[k] != ANY}


def _row(r: decision_search.Row) -> dict[str, str]:
    return {"id": str(r.decision_id), "number": r.document_number, "case_no": r.case_no, "item": r.item_name,
            "item_code": r.item_code, "applicant": r.applicant_name, "id_masked": r.applicant_id_masked,
            "approver": r.approver, "outcome": r.outcome_name, "outcome_code": r.outcome,
            "decided_at": local(r.decided_at)}


def _log_row(e: audit_log.Entry) -> dict[str, str]:
    return {"seq": str(e.seq), "at": local(e.at, "%Y-%m-%d %H:%M:%S"), "actor": e.actor, "action": e.action_name,
            "code": e.action, "subject": e.subject, "details": e.details}


def exports_url(token: str) -> str:
    return EXPORT_PREFIX + token


class AuditsState(AuthState):
    # decision search
    rows: list[dict[str, str]] = []
    total: int = 0
    capped: bool = False
    page_no: int = 1
    pages: int = 1
    page_size: str = "20"
    approvers: list[dict[str, str]] = []
    items: list[dict[str, str]] = []
    exporting: bool = False
    zip_running: bool = False
    zip_done: int = 0
    zip_total: int = 0
    zip_summary: str = ""  # the last archive built in this tab
    _criteria: dict = {}
    _zip_file: str = ""
    _zip_name: str = ""
    # audit log
    log_rows: list[dict[str, str]] = []
    log_total: int = 0
    log_page_no: int = 1
    log_pages: int = 1
    officers: list[dict[str, str]] = []
    _log_criteria: dict = {}

    @rx.var
    def zip_percent(self) -> int:
        return int(self.zip_done * 100 / self.zip_total) if self.zip_total else 0

    @rx.var
    def total_text(self) -> str:
        return f"{self.total:,} 条以上（仅列出最新的 {self.total:,} 条，请缩小日期范围）" if self.capped else f"{self.total:,} 条"

    def _search(self, principal) -> None:
        page = decision_search.search(principal, self._criteria, self.page_no, to_int(self.page_size) or 20)
        self.rows = [_row(r) for r in page.rows]
        self.total, self.capped, self.page_no, self.pages = page.total, page.capped, page.page, page.pages

    def _search_log(self, principal) -> None:
        page = audit_log.search(principal, self._log_criteria, self.log_page_no, 20)
        self.log_rows = [_log_row(e) for e in page.rows]
        self.log_total, self.log_page_no, self.log_pages = page.total, page.page, page.pages

    @rx.event
    def load(self):
        self.error = ""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self._criteria, self._log_criteria, self.page_no, self.log_page_no = {}, {}, 1, 1
        self.approvers = [{"id": str(i), "label": label} for i, label in decision_search.approvers(principal)]
        self.items = [{"id": str(i), "label": label} for i, label in decision_search.items(principal)]
        self.officers = [{"id": str(i), "label": label} for i, label in audit_log.officers(principal)]
        self._search(principal)
        self._search_log(principal)

    @rx.event
    def search(self, form_data: dict):
        def run(principal, form):
            criteria = _form(form, FORM_FIELDS)
            decision_search.parse_filters(criteria)  # refused here leaves the last search standing
            self._criteria, self.page_no = criteria, 1
            self._search(principal)

        return self._act(AUDITOR, form_data, run)

    @rx.event
    def go_page(self, page: str):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self.page_no = to_int(page) or 1
        self._search(principal)

    @rx.event
    def set_page_size(self, value: str):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self.page_size = value if value in ("20", "50", "100") else "20"
        self.page_no = 1
        self._search(principal)

    @rx.event
    def download(self, decision_id: str):
        return self._download(AUDITOR, decision_id)

    @rx.event
    def download_checkpoints(self):
        """Every signed checkpoint of the audit log, as the files an auditor keeps outside the system."""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        try:
            data = checkpoints.export(principal)
        except Refused as exc:
            return self._refused(exc)
        return rx.download(data=data, filename="audit-checkpoints.json", mime_type="application/json")

    @rx.event(background=True)
    async def export_xlsx(self):
        """The whole result as Excel, written off the event loop, handed over by a one-time link."""
        async with self:
            if self.exporting:
                return
            self.error, self.notice = "", ""
            principal = self._principal(AUDITOR)
            exit_event = self._exit() if principal is None else None
            criteria = dict(self._criteria)
            self.exporting = principal is not None
        if principal is None:
            yield exit_event
            return
        try:
            prepared = await asyncio.to_thread(decision_search.export_xlsx, principal, criteria)
            token = await asyncio.to_thread(exports.issue_token, principal, prepared.file_id)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        finally:  # whatever happened, the button is usable again
            async with self:
                self.exporting = False
        async with self:
            self.notice = f"已导出 {prepared.count:,} 条（{prepared.filename}）"
        yield rx.download(url=exports_url(token), filename=prepared.filename)

    @rx.event(background=True)
    async def build_zip(self):
        """打包下载: the PDFs of the whole result into one ZIP, in a thread (other officers' events
        go on), the progress bar updated a few times a second; the download starts at the end."""
        async with self:
            if self.zip_running:
                return
            self.error, self.notice = "", ""
            principal = self._principal(AUDITOR)
            exit_event = self._exit() if principal is None else None
            criteria = dict(self._criteria)
            if principal is not None:
                self.zip_running, self.zip_done, self.zip_total, self.zip_summary = True, 0, 0, ""
                self._zip_file, self._zip_name = "", ""
        if principal is None:
            yield exit_event
            return
        progress = {"done": 0, "total": 0}

        def on_progress(done: int, total: int) -> None:
            progress["done"], progress["total"] = done, total

        task = asyncio.ensure_future(asyncio.to_thread(decision_archive.build, principal, criteria, on_progress))
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=PROGRESS_SECONDS)
                async with self:
                    self.zip_done, self.zip_total = progress["done"], progress["total"]
            prepared = task.result()
            token = await asyncio.to_thread(exports.issue_token, principal, prepared.file_id)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        finally:  # whatever happened, no progress bar is left running
            async with self:
                self.zip_running = False
        async with self:
            self.zip_done, self.zip_total = prepared.count, prepared.count
            self._zip_file, self._zip_name = prepared.file_id, prepared.filename
            self.zip_summary = (f"已打包 {prepared.count:,} 份决定书（{prepared.size / 1024 / 1024:.1f} MB，"
                                f"SHA-256 {prepared.sha256[:16]}…），下载已开始；可在 2 小时内再次下载。")
        yield rx.download(url=exports_url(token), filename=prepared.filename)

    @rx.event
    def download_zip(self):
        """The archive this tab built, again (a new one-time link; each download is audited)."""
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        try:
            token = exports.issue_token(principal, self._zip_file)
        except Refused as exc:
            self.zip_summary = ""
            return self._refused(exc)
        return rx.download(url=exports_url(token), filename=self._zip_name)

    @rx.event
    def search_log(self, form_data: dict):
        def run(principal, form):
            criteria = _form(form, LOG_FIELDS)
            audit_log.parse_filters(criteria)
            self._log_criteria, self.log_page_no = criteria, 1
            self._search_log(principal)

        return self._act(AUDITOR, form_data, run)

    @rx.event
    def go_log_page(self, page: str):
        principal = self._principal(AUDITOR)
        if principal is None:
            return self._exit()
        self.log_page_no = to_int(page) or 1
        self._search_log(principal)
