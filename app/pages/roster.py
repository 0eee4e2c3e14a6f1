import reflex as rx

from app.components.layout import for_role, page
from app.rules.roles import ADMIN
from app.state.roster import RosterState


def officer_row(o: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(o["staff_no"]), rx.table.cell(o["name"]), rx.table.cell(o["roles"]),
        rx.table.cell(o["authorization"]), rx.table.cell(o["scope"]), rx.table.cell(o["keys"]),
        rx.table.cell(rx.button("登记密钥", size="1", on_click=RosterState.begin_register(o["id"]),
                                id="register-" + o["staff_no"], loading=RosterState.busy)),
    )


def key_row(k: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(k["id"]), rx.table.cell(k["officer"]), rx.table.cell(k["bound"]),
        rx.table.cell(k["status"]), rx.table.cell(k["registered_at"]), rx.table.cell(k["reason"]),
        rx.table.cell(rx.cond(k["active"] != "", rx.form(
            rx.hstack(rx.el.input(type="hidden", name="key_id", value=k["id"]),
                      rx.input(name="reason", placeholder="停用原因（必填）", size="1"),
                      rx.button("停用", size="1", color_scheme="red", type="submit")),
            on_submit=RosterState.revoke))),
    )


@rx.page(route="/roster", title="人员与密钥 · 独立审批系统", on_load=RosterState.load)
def roster() -> rx.Component:
    return page(
        "人员名册与安全密钥",
        for_role(ADMIN,
            rx.text("登记密钥须本人到场：由本人在此电脑上插入密钥、设置或输入 PIN 并触碰。"
                    "独立审批员须持有有效授权，密钥绑定该授权的范围。"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("工号", "姓名", "角色", "授权", "授权范围", "有效密钥", "")])),
                rx.table.body(rx.foreach(RosterState.officers, officer_row)), width="100%", id="officers"),
            rx.heading("安全密钥", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("编号", "持有人", "绑定", "状态", "登记时间", "停用原因", "")])),
                rx.table.body(rx.foreach(RosterState.keys, key_row)), width="100%", id="keys"),
        ),
    )
