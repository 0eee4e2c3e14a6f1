"""办件监督 (working group): overdue and due cases, 延期, transferred-out cases to route."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.counter.case_steps import MAX_EXTENSION_DAYS
from app.rules.people.roles import ADMIN
from app.state.auth import AuthState
from app.state.supervision import SupervisionState

NOWRAP = {"white_space": "nowrap"}


def extend_dialog(c: dict) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("延期", size="1", variant="soft", id="extend-" + c["id"])),
        rx.dialog.content(
            rx.dialog.title("延期：", c["case_no"]),
            rx.dialog.description(f"行政许可法第四十二条：经本机关负责人批准可延长，至多 {MAX_EXTENSION_DAYS} 个工作日、"
                                  "仅一次；须用您的安全密钥再次确认。", size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="case_id", value=c["id"]),
                rx.el.label("延长工作日数", html_for="days-" + c["id"], style={"font-weight": "bold"}),
                rx.input(name="days", id="days-" + c["id"], type="number", min=1, max=MAX_EXTENSION_DAYS,
                         default_value="10"),
                rx.el.label("延期理由（负责人批准情况）", html_for="extend-reason-" + c["id"],
                            style={"font-weight": "bold"}),
                rx.text_area(name="reason", id="extend-reason-" + c["id"], max_length=500, width="100%"),
                rx.cond(AuthState.error != "", rx.callout(AuthState.error, color_scheme="red", size="1")),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("确认延期", type="submit", id="confirm-extend-" + c["id"]),
                          justify="end", width="100%"),
                spacing="2", width="100%"), on_submit=SupervisionState.extend, reset_on_submit=False)),
        open=SupervisionState.extending == c["id"],
        on_open_change=lambda is_open: SupervisionState.set_extending(c["id"], is_open),
    )


def route_form(c: dict) -> rx.Component:
    return rx.cond(c["routed"] != "", rx.text("已转办 ", c["routed"], size="2", style=NOWRAP),
                   rx.form(rx.hstack(
                       rx.el.input(type="hidden", name="case_id", value=c["id"]),
                       rx.input(name="note", id="route-note-" + c["id"], placeholder="转办去向（承办科室、程序）",
                                aria_label="转办去向", size="1", max_length=500),
                       rx.button("登记转办", size="1", type="submit", id="route-" + c["id"]), spacing="1"),
                       on_submit=SupervisionState.route, reset_on_submit=False))


def table(headers, rows, row) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in headers])),
        rx.table.body(rx.foreach(rows, row)), width="100%"), width="100%", overflow_x="auto")


@rx.page(route="/cases", title="办件监督 · 独立审批系统", on_load=[AuthState.page_loaded, SupervisionState.load])
def supervision() -> rx.Component:
    return page(
        "办件监督",
        for_role(ADMIN,
            rx.heading("一周内到期与已逾期的办件（全部审批员）", size="4"),
            rx.cond(SupervisionState.overdue.length() == 0, rx.text("没有一周内到期或逾期的办件。", color="gray", id="no-overdue"),
            table(("受理编号", "事项", "审批员", "办结期限", "时限", ""), SupervisionState.overdue, lambda c: rx.table.row(
                rx.table.cell(c["case_no"], style=NOWRAP), rx.table.cell(c["item"]), rx.table.cell(c["approver"], style=NOWRAP),
                rx.table.cell(c["deadline"], style=NOWRAP),
                rx.table.cell(rx.text(c["timing"], color=rx.cond(c["overdue"] == "1", "red", "orange")), style=NOWRAP),
                rx.table.cell(rx.cond(c["overdue"] == "1", rx.fragment(), extend_dialog(c)), style=NOWRAP),
                id="overdue-" + c["id"]))),
            rx.heading("转出独立审批、待转办的办件", size="4"),
            rx.cond(SupervisionState.transfers.length() == 0, rx.text("没有转出的办件。", color="gray"),
            table(("受理编号", "事项", "审批员", "转出时间", "情形", "转办"), SupervisionState.transfers, lambda c: rx.table.row(
                rx.table.cell(c["case_no"], style=NOWRAP), rx.table.cell(c["item"]), rx.table.cell(c["approver"], style=NOWRAP),
                rx.table.cell(c["at"], style=NOWRAP), rx.table.cell(c["reason"]), rx.table.cell(route_form(c)),
                id="transfer-" + c["id"]))),
        ),
        active="/cases",
    )
