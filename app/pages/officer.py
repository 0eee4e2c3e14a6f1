import reflex as rx

from app.state.auth import AuthState

from app.components.layout import field, for_role, page, select_box
from app.rules.roles import ADMIN, ROLE_NAMES
from app.state.officer import OfficerState


def table(headers, rows, render, id_: str) -> rx.Component:
    return rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                         rx.table.body(rx.foreach(rows, render)), width="100%", id=id_)


def reason_form(handler, hidden: dict, label: str, color: str = "gray") -> rx.Component:
    return rx.form(rx.hstack(
        *[rx.el.input(type="hidden", name=k, value=v) for k, v in hidden.items()],
        rx.input(name="reason", placeholder="原因（必填）", size="1"),
        rx.button(label, size="1", type="submit", color_scheme=color)), on_submit=handler)


def grant_row(a: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell("#" + a["id"]), rx.table.cell(a["term"]),
        rx.table.cell(rx.vstack(rx.text(a["scope"]), rx.cond(a["pending"] != "", rx.callout(
            "目录变更后新纳入范围、密钥尚不能签署的事项：" + a["pending"], color_scheme="orange", size="1")),
            spacing="1")),
        rx.table.cell(a["state"]),
        rx.table.cell(a["reason"]),
        rx.table.cell(rx.vstack(
            rx.cond(a["pending"] != "",
                    reason_form(OfficerState.confirm_widening, {"authorization_id": a["id"]}, "确认扩大密钥范围",
                                "orange")),
            rx.cond(a["renewable"] == "1",
                    reason_form(OfficerState.renew, {"authorization_id": a["id"]}, "续期一年")),
            rx.cond(a["open"] == "1",
                    reason_form(OfficerState.revoke, {"authorization_id": a["id"]}, "撤销", "red")),
            spacing="1")), id="authorization-" + a["id"])


def condition_row(c: dict) -> rx.Component:
    return rx.hstack(rx.icon(rx.cond(c["ok"] == "1", "circle_check", "circle_x"),
                             color=rx.cond(c["ok"] == "1", "green", "red"), size=18),
                     rx.text(c["name"], weight="bold"), rx.text(c["detail"], size="2", color="gray"))


def qualification_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.flex(
            field("类型", rx.el.select(rx.el.option("年度考核", value="assessment"), rx.el.option("业务培训", value="training"),
                                     rx.el.option("专门考试", value="exam"),
                                     rx.el.option("重新取得资格（工作组决定）", value="requalification"), name="kind", id="q-kind",
                                     style={"padding": "6px"})),
            field("考核年度", rx.input(name="year", id="q-year", width="6em")),
            field("考核等次", rx.el.select(rx.el.option("", value=""), *[rx.el.option(g) for g in ("优秀", "称职", "基本称职", "不称职")],
                                       name="grade", id="q-grade", style={"padding": "6px"})),
            field("日期", rx.input(name="on_date", type="date", id="q-date")),
            field("名称", rx.input(name="title", id="q-title")),
            field("考试结果", rx.el.select(rx.el.option("", value=""), rx.el.option("通过", value="yes"),
                                       rx.el.option("未通过", value="no"), name="passed", id="q-passed",
                                       style={"padding": "6px"})),
            field("成绩", rx.input(name="score", width="5em")), align="end", wrap="wrap", gap="3", width="100%"),
        rx.hstack(rx.input(name="corrects_id", placeholder="更正的记录编号（可空）", width="14em"),
                  rx.input(name="note", placeholder="备注"), rx.button("登记", type="submit", id="add-record")),
        width="100%"), on_submit=OfficerState.add_record, width="100%")


def grant_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("授权范围（按审批门类，和/或逐项填写事项编码）：", weight="bold"),
        rx.flex(rx.foreach(OfficerState.categories, lambda c: rx.el.label(
            rx.el.input(type="checkbox", name="cat-" + c["code"]), c["name"], style={"margin_right": "16px"})),
            wrap="wrap"),
        rx.input(name="items", placeholder="事项编码，逗号分隔（可空）", id="grant-items", width="100%"),
        rx.hstack(field("生效日期（默认今天）", rx.input(name="valid_from", type="date")),
                  field("截止日期（默认一年）", rx.input(name="valid_until", type="date")),
                  field("授权依据", rx.input(name="reason", placeholder="如 工作组会议纪要", id="grant-reason")),
                  rx.button("授权", type="submit", id="grant", disabled=~OfficerState.eligible), align="end"),
        width="100%"), on_submit=OfficerState.grant, width="100%")


def profile_form() -> rx.Component:
    p = OfficerState.profile
    return rx.form(rx.vstack(
        rx.hstack(field("姓名", rx.input(name="name", default_value=p["name"])),
                  field("科室", select_box("department_code", OfficerState.departments, "code", "name",
                                         default_value=p["department_code"])),
                  field("在职起始", rx.input(name="joined_on", type="date", default_value=p["joined_on"])), width="100%"),
        rx.hstack(*[rx.el.label(rx.el.input(type="checkbox", name=f"role-{r}",
                                            default_checked=OfficerState.role_codes.contains(r)), name,
                                style={"margin_right": "16px"}) for r, name in ROLE_NAMES.items()]),
        rx.hstack(rx.input(name="reason", placeholder="变更原因（必填）"), rx.button("保存", type="submit")),
        width="100%"), on_submit=OfficerState.save_profile, key=OfficerState.profile["name"], width="100%")


@rx.page(route="/officer", title="人员 · 独立审批系统", on_load=[AuthState.page_loaded, OfficerState.load])
def officer() -> rx.Component:
    p = OfficerState.profile
    return page(
        "人员档案",
        for_role(ADMIN, rx.cond(OfficerState.officer_id != 0, rx.vstack(
            rx.hstack(rx.heading(p["name"], "（", p["staff_no"], "）", size="5"), rx.badge(p["status"]),
                      rx.text(p["department"], " · ", p["roles"], " · 在职起始 ", p["joined_on"]), align="center"),
            rx.card(rx.vstack(rx.heading("独立审批员资格（实施方案 四）", size="4"),
                              rx.foreach(OfficerState.conditions, condition_row),
                              rx.text(rx.cond(OfficerState.eligible, "符合全部条件，可以授权。", "不符合上列条件的，不能授权。"),
                                      id="eligibility"), width="100%"), width="100%"),
            rx.heading("授权", size="4"),
            table(("编号", "期限", "范围", "状态", "依据/原因", ""), OfficerState.grants, grant_row, "authorizations"),
            rx.card(grant_form(), width="100%"),
            rx.heading("资格记录", size="4"),
            table(("编号", "类型", "内容", "备注", "登记时间", ""), OfficerState.records,
                  lambda r: rx.table.row(*[rx.table.cell(r[k]) for k in ("id", "kind", "what", "note", "at", "status")]),
                  "records"),
            rx.card(qualification_form(), width="100%"),
            rx.heading("安全密钥", size="4"),
            rx.text("登记与停用密钥在“人员与密钥”页面办理。", size="2"),
            table(("编号", "状态", "绑定", "登记时间"), OfficerState.officer_keys,
                  lambda k: rx.table.row(*[rx.table.cell(k[x]) for x in ("id", "status", "bound", "at")]), "officer-keys"),
            rx.heading("名册信息", size="4"),
            rx.card(profile_form(), width="100%"),
            rx.card(rx.hstack(rx.text("办理退出（撤销授权、停用密钥，记录保留）："),
                              reason_form(OfficerState.exit_officer, {}, "退出", "red")), width="100%"),
            rx.heading("全部记录", size="4"),
            table(("时间", "事项", "原因/备注"), OfficerState.history,
                  lambda h: rx.table.row(*[rx.table.cell(h[k]) for k in ("at", "what", "reason")]), "history"),
            width="100%"))),
    )
