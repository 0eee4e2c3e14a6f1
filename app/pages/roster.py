import reflex as rx

from app.state.auth import AuthState

from app.components.layout import field, for_role, page, pager, select_box
from app.rules.roles import ADMIN, ROLE_NAMES
from app.state.roster import RosterState


def officer_row(o: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(o["staff_no"]), rx.table.cell(rx.link(o["name"], href="/officer?id=" + o["id"])),
        rx.table.cell(o["roles"], " ", rx.text(o["status"], as_="span", color="gray")),
        rx.table.cell(o["authorization"]), rx.table.cell(o["scope"]), rx.table.cell(o["keys"]),
        rx.table.cell(rx.button("登记密钥", size="1", on_click=RosterState.begin_register(o["id"]),
                                id="register-" + o["staff_no"], loading=RosterState.busy)),
    )


def key_form(k: dict, label: str, handler, placeholder: str, color: str) -> rx.Component:
    return rx.form(
        rx.hstack(rx.el.input(type="hidden", name="key_id", value=k["id"]),
                  rx.input(name="reason", placeholder=placeholder, size="1"),
                  rx.button(label, size="1", color_scheme=color, type="submit")),
        on_submit=handler, class_name=f"key-{label}")


def key_row(k: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(k["id"]), rx.table.cell(k["officer"]), rx.table.cell(k["bound"]),
        rx.table.cell(rx.text(k["status"], color=rx.cond(k["state"] == "suspect", "red", "inherit"))),
        rx.table.cell(k["registered_at"]), rx.table.cell(k["reason"]),
        rx.table.cell(rx.vstack(
            rx.cond(k["state"] == "suspect",
                    key_form(k, "解除暂停", RosterState.clear_suspect, "核查结论（必填）", "gray")),
            rx.cond(k["state"] != "revoked",
                    key_form(k, "停用", RosterState.revoke, "停用原因（必填）", "red")),
            spacing="1")),
        id="key-" + k["id"],
    )


def policy_section() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("密钥型号策略（attestation）", size="4"),
        rx.cond(RosterState.policy_models.length() == 0,
                rx.text("当前：接受任何型号的安全密钥（记录型号 AAGUID 与证明格式）。", id="policy"),
                rx.vstack(rx.text("当前仅允许以下型号（须提供可验证到受信任根证书的型号证明）：", id="policy"),
                          rx.foreach(RosterState.policy_models, lambda m: rx.code(m)),
                          rx.text("自", RosterState.policy_since, "起生效", size="1"))),
        rx.form(rx.vstack(
            rx.input(name="aaguid", placeholder="型号 AAGUID，如 cb69481e-8ff7-4039-93ec-0a2729a154a8", width="100%"),
            rx.text_area(name="root_pem", placeholder="该型号的根证书（PEM，-----BEGIN CERTIFICATE-----…）",
                         width="100%", rows="4"),
            rx.hstack(rx.input(name="reason", placeholder="变更原因（必填）"),
                      rx.el.select(rx.el.option("增加允许型号", value="add"), rx.el.option("恢复为接受任何型号", value="any"),
                                   name="mode", style={"padding": "4px"}),
                      rx.button("保存策略", type="submit")),
            width="100%"), on_submit=RosterState.save_policy, width="100%"),
        width="100%"), width="100%")


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
                          rx.foreach(RosterState.missing_years, rx.badge)),
                icon="calendar_x", color_scheme="orange", width="100%")),
            rx.form(rx.hstack(
                rx.input(name="query", placeholder="工号或姓名"),
                select_box("department", RosterState.departments, "code", "name", "全部科室"),
                rx.el.select(rx.el.option("全部角色", value=""), *[rx.el.option(n, value=r) for r, n in ROLE_NAMES.items()],
                             name="role", style={"padding": "6px"}),
                rx.button("查询", type="submit")), on_submit=RosterState.search, reset_on_submit=False),
            rx.text("登记密钥须本人到场：先由您用本人密钥确认身份，再由本人在此电脑上插入密钥、设置或输入 PIN 并触碰。"
                    "独立审批员须持有有效授权，密钥绑定该授权的范围。"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("工号", "姓名", "角色", "授权", "授权范围", "有效密钥", "")])),
                rx.table.body(rx.foreach(RosterState.officers, officer_row)), width="100%", id="officers"),
            pager(RosterState),
            rx.card(rx.form(rx.vstack(
                rx.heading("新增人员", size="4"),
                rx.hstack(field("工号", rx.input(name="staff_no", id="new-staff-no")),
                          field("姓名", rx.input(name="name", id="new-name")),
                          field("科室", select_box("department_code", RosterState.departments, "code", "name", "请选择",
                                                 id="new-department")),
                          field("在职起始", rx.input(name="joined_on", type="date", id="new-joined")), width="100%"),
                rx.hstack(*[rx.el.label(rx.el.input(type="checkbox", name=f"role-{r}", id=f"new-role-{r}"), n,
                                        style={"margin_right": "16px"}) for r, n in ROLE_NAMES.items()],
                          rx.input(name="reason", placeholder="原因（必填）", id="new-officer-reason"),
                          rx.button("新增", type="submit", id="add-officer")),
                width="100%"), on_submit=RosterState.add_officer), width="100%"),
            rx.heading("安全密钥", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("编号", "持有人", "绑定", "状态", "登记时间", "停用原因", "")])),
                rx.table.body(rx.foreach(RosterState.keys, key_row)), width="100%", id="keys"),
            policy_section(),
        ),
    )
