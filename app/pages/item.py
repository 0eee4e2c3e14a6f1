"""事项: the item's guide (办事指南) and flowchart — printable on their own, A4 — the listing, the
revisions, and the edit form (a new revision)."""

import reflex as rx

from app.components.controls import choice
from app.components.layout import field, for_role, page
from app.config import settings
from app.pages.catalog import item_form
from app.rules.people.roles import ADMIN
from app.state.auth import AuthState
from app.state.item import ItemState


def print_part(part: str) -> rx.event.EventSpec:
    """Print only the guide or only the flowchart (assets/app.css, @media print), then forget it."""
    return rx.call_script(
        "(() => { const b = document.body; b.dataset.print = %r; "
        "const done = () => { delete b.dataset.print; window.removeEventListener('afterprint', done); }; "
        "window.addEventListener('afterprint', done); window.print(); })()" % part)


def revision_row(r: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("第 " + r["revision"] + " 版", on_click=ItemState.view_revision(r["revision"]),
                              href="#"), class_name="nowrap"),
        rx.table.cell(r["at"], class_name="nowrap"), rx.table.cell(r["by"], class_name="nowrap"),
        rx.table.cell(r["listed"], class_name="nowrap"), rx.table.cell(r["reason"]))


def guide() -> rx.Component:
    """The guide as the PDF has it: facts, conditions, materials, procedure."""
    f = ItemState.fields
    return rx.vstack(
        rx.box(rx.heading(f["name"], size="6", text_align="center"),
               rx.text(settings.organ_name, " · 办事指南（第 ", ItemState.shown_revision, " 版）", text_align="center"),
               class_name="print-only", width="100%", margin_bottom="12px"),
        rx.table.root(rx.table.body(rx.foreach(ItemState.guide, lambda r: rx.table.row(
            rx.table.row_header_cell(r["label"], class_name="nowrap", width="9em"), rx.table.cell(r["value"])))),
            width="100%", variant="surface", id="guide-facts"),
        rx.heading("受理条件", size="3", margin_top="8px"),
        rx.el.ol(rx.foreach(ItemState.conditions, lambda c: rx.el.li(c)), style={"padding_left": "1.6em", "margin": 0},
                 id="conditions"),
        rx.heading("申请材料", size="3", margin_top="8px"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("序号", "材料名称", "份数", "要求")])),
            rx.table.body(rx.foreach(ItemState.materials, lambda m: rx.table.row(
                rx.table.cell(m["n"], class_name="nowrap"), rx.table.cell(m["name"]),
                rx.table.cell(m["form"], class_name="nowrap"),
                rx.table.cell(rx.badge(m["required"], color_scheme=rx.cond(m["required"] == "必需", "red", "gray")),
                              class_name="nowrap")))),
            width="100%", variant="surface", id="materials", class_name="materials-table"),
        rx.heading("办理程序", size="3", margin_top="8px"),
        rx.text("申请 → 受理（材料齐全、符合法定形式的当场受理；不齐全的当场或五日内一次性告知需补正的全部内容）→ 审查 → 决定 → 送达。",
                rx.cond(f["promised_limit_days"] == "0", "符合条件的当场作出书面决定。",
                        "自受理之次日起 " + f["promised_limit_days"] + " 个工作日内作出决定。"), size="2"),
        rx.flex(rx.foreach(ItemState.flags, lambda fl: rx.cond(fl["on"] == "1", rx.badge(fl["label"], color_scheme="red"))),
                spacing="2", wrap="wrap", class_name="no-print"),
        width="100%", spacing="2", id="item-guide")


def flowchart() -> rx.Component:
    return rx.box(rx.html(ItemState.chart), id="flowchart", width="100%", padding="16px",
                  border="1px solid var(--gray-5)", border_radius="6px", background="white")


def listing() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("独立审批清单", size="3"),
        rx.text("移出清单后，窗口不再提供该事项，已受理的办件也不能签署。", size="2", color="gray"),
        rx.hstack(
            field("操作", choice("listed", [("yes", "列入独立审批清单"), ("no", "移出独立审批清单")], "listing",
                                default_value=rx.cond(ItemState.listed, "no", "yes"), width="13em"), "listing"),
            field("原因", rx.input(name="reason", placeholder="必填", id="listing-reason", width="24em"), "listing-reason"),
            rx.button("确定", type="submit", id="set-listed"), align="end", spacing="3", wrap="wrap"),
        width="100%"), on_submit=ItemState.set_listed, reset_on_submit=False, key=ItemState.current_revision),
        width="100%")


def revisions() -> rx.Component:
    return rx.vstack(
        rx.heading("版本记录", size="3"),
        rx.box(rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in ("版本", "时间", "修改人", "清单", "原因")])),
            rx.table.body(rx.foreach(ItemState.revisions, revision_row)), width="100%", id="revisions"),
            class_name="table-scroll"),
        width="100%")


def edit() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("修订（保存为新版本；已受理的办件仍按受理时的版本）", size="3"),
        rx.cond(ItemState.shown_revision == ItemState.current_revision,
                rx.fragment(*item_form(ItemState, "edit-", ItemState.fields)),
                rx.text("正在查看历史版本：请先查看现行版本再修订。")),
        rx.hstack(field("修订原因", rx.input(name="reason", placeholder="必填", id="edit-reason", width="24em"),
                        "edit-reason"),
                  rx.button("保存修订", type="submit", id="save-item",
                            disabled=ItemState.shown_revision != ItemState.current_revision),
                  align="end", spacing="3"),
        width="100%", spacing="3"), on_submit=ItemState.save, reset_on_submit=False, key=ItemState.current_revision),
        width="100%")


@rx.page(route="/item", title="事项 · 独立审批系统", on_load=[AuthState.page_loaded, ItemState.load])
def item() -> rx.Component:
    return page(
        "事项",
        for_role(ADMIN, rx.cond(ItemState.item_id != 0, rx.vstack(
            rx.hstack(
                rx.heading(ItemState.fields["name"], size="5"),
                rx.badge(rx.cond(ItemState.listed, "在独立审批清单内", "不在清单内"),
                         color_scheme=rx.cond(ItemState.listed, "green", "gray"), id="listed", class_name="nowrap"),
                rx.text("正在查看第 ", ItemState.shown_revision, " 版（现行第 ", ItemState.current_revision, " 版）",
                        size="2", color="gray", class_name="nowrap"),
                align="center", width="100%", wrap="wrap", class_name="no-print"),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("办事指南与流程图", value="guide", id="tab-guide"),
                             rx.tabs.trigger("清单与版本", value="listing", id="tab-listing"),
                             rx.tabs.trigger("修订", value="edit", id="tab-edit"), class_name="no-print"),
                rx.tabs.content(rx.vstack(
                    rx.hstack(
                        rx.button(rx.icon("download", size=16), "下载办事指南 PDF", on_click=ItemState.download_notice,
                                  variant="soft", id="download-guide"),
                        rx.button(rx.icon("printer", size=16), "打印办事指南", on_click=print_part("guide"),
                                  variant="soft", id="print-guide"),
                        rx.button(rx.icon("printer", size=16), "打印流程图", on_click=print_part("flowchart"),
                                  variant="soft", id="print-flowchart"),
                        spacing="3", class_name="no-print", wrap="wrap"),
                    rx.hstack(
                        rx.box(guide(), flex="1 1 0", min_width="0"),
                        rx.box(flowchart(), flex="0 0 auto", width="min(760px, 52%)"),
                        align="start", width="100%", spacing="5", class_name="item-main"),
                    width="100%", spacing="4", padding_top="16px"), value="guide"),
                rx.tabs.content(rx.vstack(listing(), revisions(), width="100%", spacing="4", padding_top="16px"),
                                value="listing"),
                rx.tabs.content(rx.box(edit(), padding_top="16px", width="100%"), value="edit"),
                # Uncontrolled (a click switches at once); rebuilt on the guide for another item or revision.
                default_value="guide", key=ItemState.item_id.to_string() + "-" + ItemState.views.to_string(),
                width="100%"),
            width="100%"))),
        active="/catalog",
    )
