"""人员与密钥: the roster (search, pages), new officers (in a dialog), security keys (revoke and
clear after a confirmation naming the key and what will happen)."""

import reflex as rx

from app.components.controls import ANY, check, choice
from app.components.layout import field, for_role, messages, page, pager
from app.rules.people.roles import ADMIN, ROLE_NAMES
from app.state.auth import AuthState
from app.state.roster import RosterState


def officer_row(o: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(o["staff_no"], class_name="nowrap"),
        rx.table.cell(rx.link(o["name"], href="/officer?id=" + o["id"]), class_name="nowrap"),
        rx.table.cell(o["roles"], " ", rx.text(o["status"], as_="span", color="gray")),
        rx.table.cell(o["authorization"], class_name="nowrap"), rx.table.cell(o["scope"]),
        rx.table.cell(o["keys"], class_name="nowrap"),
        rx.table.cell(rx.button("登记密钥", size="1", on_click=RosterState.begin_register(o["id"]),
                                id="register-" + o["staff_no"], loading=RosterState.busy), class_name="nowrap"),
    )


def key_row(k: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(k["id"], class_name="nowrap"), rx.table.cell(k["officer"], class_name="nowrap"),
        rx.table.cell(k["bound"], class_name="nowrap"),
        rx.table.cell(rx.text(k["status"], color=rx.cond(k["state"] == "suspect", "red", "inherit"))),
        rx.table.cell(k["registered_at"], class_name="nowrap"), rx.table.cell(k["reason"]),
        rx.table.cell(rx.hstack(
            rx.cond(k["state"] == "suspect",
                    rx.button("解除暂停", size="1", variant="soft", color_scheme="gray",
                              on_click=RosterState.ask_key_action("clear", k["id"]), class_name="key-clear")),
            rx.cond(k["state"] != "revoked",
                    rx.button("停用", size="1", variant="soft", color_scheme="red",
                              on_click=RosterState.ask_key_action("revoke", k["id"]), class_name="key-revoke")),
            spacing="2", justify="end"), class_name="nowrap"),
        id="key-" + k["id"],
    )


def table(headers: tuple[str, ...], rows, render, id_: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
        rx.table.body(rx.foreach(rows, render)), width="100%", id=id_), class_name="table-scroll")


def search_form() -> rx.Component:
    return rx.form(rx.hstack(
        rx.input(name="query", placeholder="工号或姓名", id="roster-query", aria_label="工号或姓名"),
        choice("department", RosterState.departments, "roster-department", placeholder="全部科室",
               first=(ANY, "全部科室"), aria_label="科室", width="11em"),
        choice("role", [(ANY, "全部角色"), *ROLE_NAMES.items()], "roster-role", placeholder="全部角色",
               aria_label="角色", width="10em"),
        rx.button("查询", type="submit", id="roster-search"),
        rx.spacer(),
        rx.button(rx.icon("user_plus", size=16), "新增人员", type="button", on_click=RosterState.open_add,
                  id="open-add-officer"),
        align="center", width="100%", spacing="3"), on_submit=RosterState.search, reset_on_submit=False,
        width="100%", class_name="no-print")


def add_officer_dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("新增人员"),
        rx.dialog.description("登记入名册；独立审批员还须在人员档案中登记资格记录并授权后，才能登记签署密钥。",
                              size="2", color="gray"),
        rx.form(rx.vstack(
            messages("-dialog"),
            rx.grid(
                field("工号", rx.input(name="staff_no", id="new-staff-no", width="100%"), "new-staff-no", width="100%"),
                field("姓名", rx.input(name="name", id="new-name", width="100%"), "new-name", width="100%"),
                field("科室", choice("department_code", RosterState.departments, "new-department", width="100%"),
                      "new-department", width="100%"),
                field("在职起始", rx.input(name="joined_on", type="date", id="new-joined", width="100%"), "new-joined",
                      width="100%"),
                columns="2", spacing="3", width="100%"),
            rx.vstack(rx.text("角色", size="2", weight="bold"),
                      rx.hstack(*[check(f"role-{r}", n, f"new-role-{r}") for r, n in ROLE_NAMES.items()], spacing="5"),
                      rx.text("独立审批员不能兼任其他角色。", class_name="hint"), spacing="1"),
            field("原因", rx.input(name="reason", placeholder="必填，如 工作组会议纪要", id="new-officer-reason",
                                  width="100%"), "new-officer-reason", width="100%"),
            rx.hstack(rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                      rx.button("新增", type="submit", id="add-officer"), justify="end", width="100%"),
            spacing="4", width="100%", margin_top="12px"), on_submit=RosterState.add_officer),
        max_width="560px", id="add-officer-dialog"),
        open=RosterState.dialog == "add", on_open_change=lambda _open: RosterState.close_dialog())


def key_form(handler, reason_label: str, button: rx.Component) -> rx.Component:
    return rx.form(rx.vstack(
        messages("-dialog"),
        rx.el.input(type="hidden", name="key_id", value=RosterState.confirm_key["id"]),
        field(reason_label, rx.input(name="reason", id="confirm-reason", placeholder="必填", width="100%"),
              "confirm-reason", width="100%"),
        rx.hstack(rx.alert_dialog.cancel(rx.button("取消", variant="soft", color_scheme="gray", type="button",
                                                   id="confirm-cancel")),
                  button, justify="end", width="100%"),
        spacing="3", width="100%", margin_top="12px"), on_submit=handler, reset_on_submit=False)


def key_dialog() -> rx.Component:
    """The confirmation before revoking (停用) or clearing a key: what happens, and a reason."""
    k = RosterState.confirm_key
    revoking = RosterState.dialog == "revoke"
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(rx.cond(revoking, "停用密钥 ", "解除暂停：密钥 "), k["id"], "？"),
        rx.alert_dialog.description(rx.cond(
            revoking,
            rx.fragment("停用后，", k["officer"], "的密钥 ", k["id"], "（", k["bound"], "）立即不能登录和签署，"
                        "且不可恢复；它的证书列入本局吊销列表。已签署的决定仍然有效。如需继续办理，须为其登记新密钥。"),
            rx.fragment(k["officer"], "的密钥 ", k["id"], " 因签名计数器倒退已暂停使用。确认已与持有人核查、"
                        "密钥未被复制后，方可解除暂停；否则请停用该密钥。")), id="confirm-text"),
        rx.cond(revoking,
                key_form(RosterState.revoke, "停用原因",
                         rx.button("确认停用", color_scheme="red", type="submit", id="confirm-revoke")),
                key_form(RosterState.clear_suspect, "核查结论",
                         rx.button("确认解除暂停", type="submit", id="confirm-clear"))),
        max_width="520px", id="key-dialog"),
        open=(RosterState.dialog == "revoke") | (RosterState.dialog == "clear"),
        on_open_change=lambda _open: RosterState.close_dialog())


@rx.page(route="/roster", title="人员与密钥 · 独立审批系统", on_load=[AuthState.page_loaded, RosterState.load])
def roster() -> rx.Component:
    return page(
        "人员名册与安全密钥",
        for_role(ADMIN,
            rx.cond(RosterState.suspects.length() > 0, rx.callout(
                rx.vstack(rx.text("以下密钥签名计数器倒退，疑似被复制，已暂停使用。请与持有人核查后停用或解除暂停：",
                                  weight="bold"),
                          rx.foreach(RosterState.suspects, rx.text)),
                icon="shield_alert", color_scheme="red", id="suspect-warning", width="100%")),
            rx.cond(RosterState.expiring.length() > 0, rx.callout(
                rx.vstack(rx.text("以下授权将在 30 日内到期，请及时考评并重新授权：", weight="bold"),
                          rx.foreach(RosterState.expiring, rx.text)),
                icon="clock", color_scheme="orange", id="expiring", width="100%")),
            rx.cond(RosterState.missing_years.length() > 0, rx.callout(
                rx.hstack(rx.text("尚无放假安排数据的年份（期限为暂定），请在“节假日”页录入："),
                          rx.foreach(RosterState.missing_years, rx.badge), rx.link("前往节假日", href="/calendar")),
                icon="calendar_x", color_scheme="orange", width="100%")),
            search_form(),
            table(("工号", "姓名", "角色", "授权", "授权范围", "有效密钥", ""), RosterState.officers, officer_row,
                  "officers"),
            pager(RosterState),
            rx.text("登记密钥须本人到场：先由您用本人密钥确认身份，再由本人在此电脑上插入密钥、设置或输入 PIN 并触碰。"
                    "独立审批员须持有有效授权，密钥绑定该授权的范围。", size="2", color="gray"),
            rx.heading("安全密钥", size="4", margin_top="12px"),
            table(("编号", "持有人", "绑定", "状态", "登记时间", "停用原因", ""), RosterState.keys, key_row, "keys"),
            rx.text("密钥型号策略（attestation）在“系统设置”页管理。", size="2", color="gray"),
            add_officer_dialog(),
            key_dialog(),
        ),
        active="/roster",
    )
