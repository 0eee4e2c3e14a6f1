"""The working group's item catalog: search, filter, pagination, new items, Excel in and out."""

from __future__ import annotations

import asyncio

import reflex as rx

from app.components.controls import ANY
from app.db import transaction
from app.rules.catalog import items as catalog
from app.rules.catalog import excel as catalog_io
from app.rules.errors import Refused
from app.rules.people.roles import ADMIN
from app.rules.people.scope import EXCLUSION_FLAGS, exclusions
from app.rules.catalog.items import limit_text
from app.state.auth import AuthState, to_int
from app.state.files import file_bytes, read_file_script


def form_fields(form: dict) -> dict:
    """Item fields from a submitted form (checkbox names are the exclusion flags)."""
    fields = {k: v for k, v in form.items() if k in catalog.EDITABLE and k not in EXCLUSION_FLAGS}
    for flag in EXCLUSION_FLAGS:
        fields[flag] = bool(form.get(flag))
    return fields


class CatalogState(AuthState):
    rows: list[dict[str, str]] = []
    total: int = 0
    page_no: int = 1
    pages: int = 1
    query: str = ""
    category_filter: str = ""
    listed_filter: str = ""
    categories: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []
    import_reason: str = ""
    import_file_name: str = ""
    adding: bool = False  # the new-item dialog is open

    def _search(self, principal) -> None:
        page = catalog.search(principal, self.query, self.category_filter, self.listed_filter, self.page_no)
        self.total, self.page_no, self.pages = page.total, page.page, page.pages
        self.rows = [{"id": str(i.id), "code": i.code, "name": i.name, "category": c.name, "type": i.item_type,
                      "limit": limit_text(i.promised_limit_days),
                      "listed": "在清单内" if i.independent else "", "flags": "、".join(exclusions(i)),
                      "revision": str(i.revision)} for i, c in page.rows]

    @rx.event
    def load(self):
        self.error, self.notice, self.adding = "", "", False
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        with transaction() as session:
            cats, deps = catalog.lookups(session)
        self.categories = [{"code": c.code, "name": c.name} for c in cats]
        self.departments = [{"code": d.code, "name": d.name} for d in deps]
        self._search(principal)

    @rx.event
    def search(self, form_data: dict):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        form = form_data if isinstance(form_data, dict) else {}
        self.query = str(form.get("query") or "")[:100]
        category = str(form.get("category") or "")[:32]
        self.category_filter = "" if category == ANY else category
        self.listed_filter = form.get("listed") if form.get("listed") in ("yes", "no") else ""
        self.page_no = 1
        self._search(principal)

    @rx.event
    def go_page(self, page: str):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.page_no = to_int(page) or 1
        self._search(principal)

    @rx.event
    def create(self, form_data: dict):
        def done(_, item):
            self.adding = False
            return rx.redirect(f"/item?id={item.id}")
        return self._act(ADMIN, form_data, lambda p, f: catalog.create_item(p, form_fields(f), f.get("reason")), done)

    @rx.event
    def open_add(self):
        """Open the new-item dialog (presentation only: create checks everything)."""
        if self._principal(ADMIN) is None:
            return self._exit()
        self.error, self.notice, self.adding = "", "", True

    @rx.event
    def close_add(self):
        self.adding = False

    @rx.event(background=True)
    async def export(self):
        async with self:
            principal = self._principal(ADMIN)
            exit_event = self._exit() if principal is None else None
        if principal is None:
            yield exit_event
            return
        data = await asyncio.to_thread(catalog_io.export_xlsx, principal)
        yield rx.download(data=data, filename="独立审批事项清单.xlsx",
                          mime_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @rx.event
    def choose_file(self, value: str):
        """The chosen file's name, shown beside the button (the bytes are read only on 导入)."""
        self.import_file_name = value.replace("\\", "/").rsplit("/", 1)[-1][:100] if isinstance(value, str) else ""

    @rx.event
    def set_import_reason(self, value: str):
        self.import_reason = value[:500] if isinstance(value, str) else ""

    @rx.event
    def start_import(self):
        if self._principal(ADMIN) is None:
            return self._exit()
        return rx.call_script(read_file_script("import-file"), callback=CatalogState.finish_import)

    @rx.event(background=True)
    async def finish_import(self, result: dict):
        """Up to thousands of rows in one transaction: off the event loop, so other officers wait for nothing."""
        async with self:
            self.error, self.notice = "", ""
            principal = self._principal(ADMIN)
            exit_event = self._exit() if principal is None else None
            data, message = file_bytes(result)
            if principal is not None and data is None:
                self.error = message
            reason = self.import_reason
        if principal is None or data is None:
            yield exit_event
            return
        try:
            created, revised = await asyncio.to_thread(catalog_io.import_xlsx, principal, data, reason)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        async with self:
            self.notice = f"导入完成：新增 {created} 项，修订 {revised} 项"
            self._search(principal)
