"""One item: its fields, flowchart, revisions; edit (new revision), list or delist, notice PDF."""

from __future__ import annotations

import reflex as rx
from sqlmodel import select

from app.db import transaction
from app.models import Category, Department, Item, Officer
from app.rules.catalog import items as catalog
from app.rules.calendar.clock import local
from app.rules.errors import Refused
from app.rules.catalog.flowchart import flowchart_svg
from app.rules.people.roles import ADMIN
from app.rules.people.scope import EXCLUSION_FLAGS
from app.signing.notice import guide_materials, guide_rows, notice_html
from app.signing.renderer import render_pdf_async
from app.state.auth import AuthState, to_int
from app.state.catalog import form_fields


def _materials_text(materials: list) -> str:
    """The edit form's pipe format (名称|原件份数|复印件份数|是否必需); pages show guide_materials."""
    return "\n".join(f"{m['name']}|{m['originals']}|{m['copies']}|{'是' if m['required'] else '否'}"
                     for m in materials)


class ItemState(AuthState):
    item_id: int = 0
    shown_revision: int = 0
    current_revision: int = 0
    fields: dict[str, str] = {}
    guide: list[dict[str, str]] = []
    conditions: list[str] = []
    materials: list[dict[str, str]] = []
    flags: list[dict[str, str]] = []
    views: int = 0  # counts view_revision clicks: the page's tabs return to the guide on each
    listed: bool = False
    chart: str = ""
    revisions: list[dict[str, str]] = []
    categories: list[dict[str, str]] = []
    departments: list[dict[str, str]] = []

    def _show(self, snapshot: dict, revision: int) -> None:
        with transaction() as session:
            category = session.exec(select(Category).where(Category.code == snapshot["category_code"])).first()
            department = session.exec(select(Department).where(Department.code == snapshot["department_code"])).first()
        self.shown_revision = revision
        self.fields = {
            "code": snapshot["code"], "name": snapshot["name"], "item_type": snapshot["item_type"],
            "category_code": snapshot["category_code"], "category": category.name if category else "",
            "department_code": snapshot["department_code"], "department": department.name if department else "",
            "legal_basis": snapshot["legal_basis"], "conditions": "\n".join(snapshot["conditions"]),
            "materials": _materials_text(snapshot["materials"]),
            "statutory_limit_days": str(snapshot["statutory_limit_days"]),
            "promised_limit_days": str(snapshot["promised_limit_days"]), "fee": snapshot["fee"],
            "handling_form": snapshot.get("handling_form", ""), "consult_phone": snapshot.get("consult_phone", ""),
            "supervise_phone": snapshot.get("supervise_phone", ""),
            "permit_content": snapshot.get("permit_content", ""),
            "validity_months": str(snapshot.get("validity_months") or 0),
            **{flag: "1" if snapshot.get(flag) else "" for flag in EXCLUSION_FLAGS},
        }
        # As officers and applicants read them (the pipe format above is only for the edit form):
        self.guide = [{"label": label, "value": str(value)} for label, value in
                      guide_rows(snapshot, self.fields["category"], self.fields["department"])]
        self.conditions = list(snapshot["conditions"])
        self.materials = [{"n": str(i), "name": name, "form": form, "required": required}
                          for i, (name, form, required) in enumerate(guide_materials(snapshot["materials"]), 1)]
        self.flags = [{"flag": flag, "label": label, "on": "1" if snapshot.get(flag) else ""}
                      for flag, label in EXCLUSION_FLAGS.items()]
        self.listed = bool(snapshot.get("independent"))
        known = {k: v for k, v in snapshot.items() if k in Item.model_fields}
        self.chart = flowchart_svg(Item(**known))

    def _reload(self, principal) -> None:
        item, snapshot, revisions = catalog.item_with_revisions(principal, self.item_id)
        with transaction() as session:
            names = {o.id: o.name for o in session.exec(select(Officer))}
            cats, deps = catalog.lookups(session)
        self.categories = [{"code": c.code, "name": c.name} for c in cats]
        self.departments = [{"code": d.code, "name": d.name} for d in deps]
        self.current_revision = item.revision
        self.revisions = [{"revision": str(r.revision), "at": local(r.changed_at),
                           "by": names.get(r.changed_by, "系统"), "reason": r.reason,
                           "listed": "在清单内" if r.snapshot.get("independent") else "不在清单内"}
                          for r in revisions]
        self._show(snapshot, item.revision)

    @rx.event
    def load(self):
        self.error, self.notice = "", ""
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        self.item_id = to_int(self.router.url.query_parameters.get("id", "")) or 0
        try:
            self._reload(principal)
        except Refused as exc:
            self.item_id = 0
            self._refused(exc)

    @rx.event
    def view_revision(self, revision: str):
        principal = self._principal(ADMIN)
        if principal is None:
            return self._exit()
        number = to_int(revision)
        with transaction() as session:
            snapshot = catalog.revision_snapshot(session, self.item_id, number) if number else None
        if snapshot is None:
            self.error = "没有该版本"
            return
        self._show(snapshot, number)
        self.views += 1

    def _changed(self, principal, item) -> None:
        self._reload(principal)
        self.notice = (f"已保存为第 {item.revision} 版" + ("" if item.independent else
                       "；不在独立审批清单内：窗口不提供，签署一律拒绝"))

    @rx.event
    def save(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: catalog.update_item(p, self.item_id, form_fields(f),
                                                                            f.get("reason")), self._changed)

    @rx.event
    def set_listed(self, form_data: dict):
        return self._act(ADMIN, form_data, lambda p, f: catalog.set_listed(p, self.item_id, f.get("listed") == "yes",
                                                                           f.get("reason")), self._changed)

    @rx.event(background=True)
    async def download_notice(self):
        async with self:
            principal = self._principal(ADMIN)
            item_id, category, department = self.item_id, self.fields.get("category", ""), self.fields.get("department", "")
            exit_event = self._exit() if principal is None else None
        if principal is None:
            yield exit_event
            return
        try:
            item, _, _ = catalog.item_with_revisions(principal, item_id)
        except Refused as exc:
            async with self:
                self._refused(exc)
            return
        pdf = await render_pdf_async(notice_html(item, category, department))
        yield rx.download(data=pdf, filename=f"{item.code} 办事指南.pdf", mime_type="application/pdf")
