import reflex as rx

from app.state.auth import AuthState

from app.components.layout import for_role, page
from app.pages.catalog import item_form
from app.rules.roles import ADMIN
from app.state.item import ItemState


def revision_row(r: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link("第 " + r["revision"] + " 版", on_click=ItemState.view_revision(r["revision"]),
                              href="#")),
        rx.table.cell(r["at"]), rx.table.cell(r["by"]), rx.table.cell(r["listed"]), rx.table.cell(r["reason"]))


def details() -> rx.Component:
    f = ItemState.fields
    rows = [("事项编码", f["code"]), ("事项名称", f["name"]), ("办件类型", f["item_type"]), ("审批门类", f["category"]),
            ("实施科室", f["department"]), ("设定依据", f["legal_basis"]),
            ("法定时限", f["statutory_display"]), ("承诺时限", f["promised_display"]),
            ("收费", f["fee"]), ("办理形式", f["handling_form"]), ("咨询电话", f["consult_phone"]),
            ("监督投诉电话", f["supervise_phone"])]
    return rx.vstack(
        rx.table.root(rx.table.body(*[rx.table.row(rx.table.row_header_cell(k), rx.table.cell(v)) for k, v in rows]),
                      width="100%"),
        rx.text("受理条件：", weight="bold"), rx.text(f["conditions"], white_space="pre-wrap"),
        rx.text("申请材料：", weight="bold"), rx.text(f["materials_display"], white_space="pre-wrap", id="materials"),
        rx.flex(rx.foreach(ItemState.flags, lambda fl: rx.cond(fl["on"] == "1", rx.badge(fl["label"], color_scheme="red"))),
                gap="2", wrap="wrap"),
        width="100%", id="item-details")


@rx.page(route="/item", title="事项 · 独立审批系统", on_load=[AuthState.page_loaded, ItemState.load])
def item() -> rx.Component:
    return page(
        "事项",
        for_role(ADMIN, rx.cond(ItemState.item_id != 0, rx.vstack(
            rx.hstack(
                rx.heading(ItemState.fields["name"], size="5"),
                rx.badge(rx.cond(ItemState.listed, "在独立审批清单内", "不在清单内"),
                         color_scheme=rx.cond(ItemState.listed, "green", "gray"), id="listed"),
                rx.text("正在查看第 ", ItemState.shown_revision, " 版（现行第 ", ItemState.current_revision, " 版）",
                        size="2"),
                rx.spacer(),
                rx.button("下载办事指南 PDF", on_click=ItemState.download_notice, variant="soft"),
                rx.button("打印流程图", on_click=rx.call_script("window.print()"), variant="soft"),
                align="center", width="100%"),
            rx.hstack(details(), rx.box(rx.html(ItemState.chart), id="flowchart", min_width="420px"),
                      align="start", width="100%"),
            rx.card(rx.form(rx.hstack(
                rx.el.select(rx.el.option("列入独立审批清单", value="yes"), rx.el.option("移出独立审批清单", value="no"),
                             name="listed", id="listing", style={"padding": "6px"}),
                rx.input(name="reason", placeholder="原因（必填）", id="listing-reason"),
                rx.button("确定", type="submit", id="set-listed")), on_submit=ItemState.set_listed), width="100%"),
            rx.heading("版本记录", size="4"),
            rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                         ("版本", "时间", "修改人", "清单", "原因")])),
                          rx.table.body(rx.foreach(ItemState.revisions, revision_row)), width="100%", id="revisions"),
            rx.card(rx.form(rx.vstack(
                rx.heading("修订（保存为新版本；已受理的办件仍按受理时的版本）", size="4"),
                rx.cond(ItemState.shown_revision == ItemState.current_revision,
                        rx.fragment(*item_form(ItemState, "edit-", ItemState.fields)),
                        rx.text("请先查看现行版本再修订。")),
                rx.hstack(rx.input(name="reason", placeholder="修订原因（必填）", id="edit-reason"),
                          rx.button("保存修订", type="submit", id="save-item")),
                width="100%"), on_submit=ItemState.save, reset_on_submit=False, key=ItemState.current_revision),
                width="100%"),
            width="100%"))),
    )
