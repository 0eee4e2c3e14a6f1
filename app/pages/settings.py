"""系统设置: the key-model (attestation) policy and the runtime parameters (read only)."""

import reflex as rx

from app.components.layout import field, for_role, messages, page
from app.rules.people.roles import ADMIN
from app.state.auth import AuthState
from app.state.settings import SettingsState


def policy_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("密钥型号策略（attestation）", size="4"),
        rx.cond(SettingsState.policy_models.length() == 0,
                rx.text("当前：接受任何型号的安全密钥（登记时记录型号 AAGUID 与证明格式）。", id="policy"),
                rx.vstack(rx.text("当前仅允许以下型号（须提供可验证到受信任根证书的型号证明）：", id="policy"),
                          rx.foreach(SettingsState.policy_models, lambda m: rx.code(m, class_name="nowrap")),
                          spacing="1")),
        rx.cond(SettingsState.policy_since != "",
                rx.text("自 ", SettingsState.policy_since, " 起生效；变更原因：", SettingsState.policy_reason,
                        size="1", color="gray")),
        rx.text("策略只影响此后登记的密钥；已登记的密钥不受影响。每次变更须填写原因，并用您本人的密钥再次确认。",
                size="2", color="gray"),
        rx.separator(size="4"),
        rx.heading("增加允许的型号", size="3"),
        rx.form(rx.vstack(
            rx.el.input(type="hidden", name="mode", value="add"),
            field("型号 AAGUID", rx.input(name="aaguid", id="policy-aaguid", width="100%",
                                         placeholder="如 cb69481e-8ff7-4039-93ec-0a2729a154a8"),
                  "policy-aaguid", width="100%"),
            field("该型号的根证书（PEM）", rx.text_area(name="root_pem", id="policy-root", width="100%", rows="5",
                                                  placeholder="-----BEGIN CERTIFICATE-----…"),
                  "policy-root", width="100%"),
            rx.hstack(field("变更原因", rx.input(name="reason", id="policy-reason", width="22em",
                                               placeholder="必填，如 统一采购型号"), "policy-reason"),
                      rx.button("增加型号", type="submit", id="policy-add"), align="end", spacing="3"),
            width="100%", spacing="3"), on_submit=SettingsState.save_policy, width="100%"),
        rx.cond(SettingsState.policy_models.length() > 0, rx.fragment(
            rx.separator(size="4"),
            rx.hstack(rx.text("取消型号限制，恢复为接受任何型号的安全密钥：", size="2"),
                      rx.button("恢复为接受任何型号", color_scheme="red", variant="soft", id="policy-reset",
                                on_click=SettingsState.ask_reset), align="center"))),
        width="100%", spacing="3"), width="100%")


def reset_dialog() -> rx.Component:
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title("恢复为接受任何型号？"),
        rx.alert_dialog.description(
            "恢复后，任何型号的安全密钥都可以登记（不再要求型号证明）。已登记的密钥不受影响。"),
        rx.form(rx.vstack(
            messages("-dialog"),
            rx.el.input(type="hidden", name="mode", value="any"),
            field("变更原因", rx.input(name="reason", id="reset-reason", width="100%", placeholder="必填"),
                  "reset-reason", width="100%"),
            rx.hstack(rx.alert_dialog.cancel(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                      rx.button("确认恢复", color_scheme="red", type="submit", id="confirm-reset"),
                      justify="end", width="100%"),
            spacing="3", width="100%", margin_top="12px"), on_submit=SettingsState.save_policy),
        max_width="480px"),
        open=SettingsState.confirm_reset, on_open_change=lambda _open: SettingsState.close_reset())


def parameter_row(p: dict) -> rx.Component:
    return rx.table.row(rx.table.row_header_cell(p["label"], class_name="nowrap"), rx.table.cell(p["value"]),
                        rx.table.cell(rx.code(p["name"]), class_name="nowrap"))


@rx.page(route="/settings", title="系统设置 · 独立审批系统", on_load=[AuthState.page_loaded, SettingsState.load])
def settings_page() -> rx.Component:
    return page(
        "系统设置",
        for_role(ADMIN,
            policy_card(),
            reset_dialog(),
            rx.card(rx.vstack(
                rx.heading("运行参数", size="4"),
                rx.text("以下参数由部署时的环境变量设定（见 README），此处只读；修改后须重启系统。", size="2", color="gray"),
                rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h)
                                                             for h in ("参数", "当前值", "环境变量")])),
                              rx.table.body(rx.foreach(SettingsState.parameters, parameter_row)),
                              width="100%", id="parameters"),
                width="100%"), width="100%"),
        ),
        active="/settings",
    )
