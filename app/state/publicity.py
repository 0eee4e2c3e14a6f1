"""双公示: approvals awaiting publication, their export, the confirmation and the batches published.

The decisions and the file digest a confirmation names are the ones this tab last exported, held
in backend vars: a client can ask to confirm, never say what."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.rules.counter import publicity
from app.rules.calendar.clock import local
from app.rules.errors import Refused, refuse
from app.rules.people.roles import ADMIN
from app.state.auth import AuthState


class PublicityState(AuthState):
    rows: list[dict[str, str]] = []
    batches: list[dict[str, str]] = []
    overdue_count: int = 0
    exported_count: int = 0  # > 0: an export is held and may be confirmed
    exported_summary: str = ""
    note: str = ""
    _export_ids: list[int] = []
    _export_sha: str = ""

    def _reload(self, principal) -> None:
        pending = publicity.pending(principal)
        self.rows = [{"id": str(p.decision_id), "number": p.document_number, "item": p.item_name,
                      "item_code": p.item_code, "applicant": p.applicant_name,
                      "decided": p.decided_on.isoformat(),
                      "due": p.due_on.isoformat() + ("（暂定）" if p.provisional else ""),
                      "overdue": "1" if p.overdue else ""} for p in pending]
        self.overdue_count = sum(p.overdue for p in pending)
        self.batches = [{"batch": b.batch, "at": local(b.published_at), "by": b.published_by, "count": str(b.count),
                         "late": f"{b.late} 条：{'、'.join(b.late_numbers)}" if b.late else "无",
                         "sha": b.export_sha256[:12] + "…", "note": b.note} for b in publicity.history(principal)]

    def _forget_export(self) -> None:
        self._export_ids, self._export_sha = [], ""
        self.exported_count, self.exported_summary = 0, ""

    @rx.event
    def load(self):
        self.error = ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self._forget_export()
        self._reload(principal)

    @rx.event
    def set_note(self, value: str):
        self.note = value[:500] if isinstance(value, str) else ""

    @rx.event
    def dialog_opened(self, is_open: bool):
        """A freshly opened dialog has an empty note field: forget a note typed before a cancel."""
        if is_open is True:
            self.note = ""

    @rx.event(background=True)
    async def export(self, fmt: str):
        """The file goes through the socket (rx.download with data), never a public folder."""
        async with self:
            self.error, self.notice = "", ""
            principal = self._principal(ADMIN)
            exit_event = self._exit() if principal is None else None
        if principal is None:
            yield exit_event
            return
        try:
            result = await asyncio.to_thread(publicity.export, principal, fmt)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        async with self:
            self._export_ids, self._export_sha = list(result.decision_ids), result.sha256
            self.exported_count = len(result.decision_ids)
            self.exported_summary = (f"已导出 {len(result.decision_ids)} 条（{'Excel' if fmt == 'xlsx' else 'CSV'}，"
                                     f"文件摘要 SHA-256 {result.sha256[:12]}…）。在信用网站公示后，请点击“确认已公示”登记。")
        yield rx.download(data=result.data, filename=result.filename, mime_type=result.mime_type)

    @rx.event
    def confirm(self):
        def run(principal, _form):
            if not self._export_ids:
                raise refuse("publicity.no_selection", "请先导出待公示清单，公示后再确认")
            return publicity.confirm_published(principal, self._export_ids, self._export_sha, self.note)

        def done(principal, batch):
            self._forget_export()
            self.note = ""
            self._reload(principal)
            late = f"，其中逾期公示 {batch.late} 条" if batch.late else ""
            self.notice = f"已登记公示：批次 {batch.batch}，共 {batch.count} 条{late}"

        return self._act(ADMIN, {}, run, done)
