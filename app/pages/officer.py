"""人员档案: eligibility, authorizations (grant; renew, widen, revoke after a confirmation),
qualification records, keys, roster entry, exit (after a confirmation), history."""

import reflex as rx

from app.components.controls import check, choice
from app.components.layout import field, for_role, messages, page
from app.rules.people.roles import ADMIN, ROLE_NAMES
from app.state.auth import AuthState
from app.state.officer import OfficerState

NOWRAP = {"id", "at", "kind", "status", "term", "state"}


def table(headers, rows, render, id_: str) -> rx.Component:
    return rx.box(rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                                rx.table.body(rx.foreach(rows, render)), width="100%", id=id_),
                  class_name="table-scroll")


def cells(row: dict, keys: tuple[str, ...]) -> list[rx.Component]:
    return [rx.table.cell(row[k], class_name="nowrap" if k in NOWRAP else "") for k in keys]


def grant_row(a: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell("#" + a["id"], class_name="nowrap"), rx.table.cell(a["term"], class_name="nowrap"),
        rx.table.cell(rx.vstack(rx.text(a["scope"]), rx.cond(a["pending"] != "", rx.callout(
            "目录变更后新纳入范围、密钥尚不能签署的事项：" + a["pending"], color_scheme="orange", size="1")),
            spacing="1")),
        rx.table.cell(a["state"], class_name="nowrap"),
        rx.table.cell(a["reason"]),
        rx.table.cell(rx.hstack(
            rx.cond(a["pending"] != "",
                    rx.button("确认扩大密钥范围", size="1", color_scheme="orange", variant="soft",
                              on_click=OfficerState.ask("widen", a["id"]), class_name="grant-widen")),
            rx.cond(a["renewable"] == "1",
                    rx.button("续期一年", size="1", variant="soft", color_scheme="gray",
                              on_click=OfficerState.ask("renew", a["id"]), class_name="grant-renew")),
            rx.cond(a["open"] == "1",
                    rx.button("撤销", size="1", variant="soft", color_scheme="red",
                              on_click=OfficerState.ask("revoke", a["id"]), class_name="grant-revoke")),
            spacing="2", justify="end"), class_name="nowrap"), id="authorization-" + a["id"])


def condition_row(c: dict) -> rx.Component:
    return rx.hstack(rx.icon(rx.cond(c["ok"] == "1", "circle_check", "circle_x"),
                             color=rx.cond(c["ok"] == "1", "green", "red"), size=18, flex_shrink="0"),
                     rx.text(c["name"], weight="bold", class_name="nowrap"), rx.text(c["detail"], size="2", color="gray"),
                     align="center")


def qualification_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.heading("登记资格记录", size="3"),
        rx.flex(
            field("类型", choice("kind", [("assessment", "年度考核"), ("training", "业务培训"), ("exam", "专门考试"),
                                         ("requalification", "重新取得资格（工作组决定）")],
                                "q-kind", default_value="assessment", width="13em"), "q-kind"),
            field("考核年度", rx.input(name="year", id="q-year", width="6em"), "q-year"),
            field("考核等次", choice("grade", [(g, g) for g in ("优秀", "称职", "基本称职", "不称职")], "q-grade",
                                  width="8em"), "q-grade"),
            field("日期", rx.input(name="on_date", type="date", id="q-date"), "q-date"),
            field("名称", rx.input(name="title", id="q-title"), "q-title"),
            field("考试结果", choice("passed", [("yes", "通过"), ("no", "未通过")], "q-passed", width="7em"), "q-passed"),
            field("成绩", rx.input(name="score", id="q-score", width="5em"), "q-score"),
            align="end", wrap="wrap", spacing="3", width="100%"),
        rx.text("年度考核填考核年度与等次；业务培训填日期与名称；专门考试填日期、名称、结果（成绩可空）；"
                "重新取得资格（取消资格或暂停签署后，工作组的决定）填日期与决定名称，须再次确认密钥。", class_name="hint"),
        rx.flex(field("更正的记录编号（可空）", rx.input(name="corrects_id", id="q-corrects", width="10em"), "q-corrects"),
                field("备注", rx.input(name="note", id="q-note", width="20em"), "q-note"),
                rx.button("登记", type="submit", id="add-record"), align="end", spacing="3", wrap="wrap"),
        width="100%", spacing="3"), on_submit=OfficerState.add_record, width="100%")


def grant_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.heading("授权", size="3"),
        rx.text("授权范围（按审批门类，和/或逐项填写事项编码）：", size="2", weight="bold"),
        rx.flex(rx.foreach(OfficerState.categories,
                           lambda c: check("cat-" + c["code"], c["name"], "grant-cat-" + c["code"])),
                wrap="wrap", spacing="4"),
        field("事项编码（逗号分隔，可空）", rx.input(name="items", id="grant-items", width="100%"), "grant-items",
              width="100%"),
        rx.flex(field("生效日期（默认今天）", rx.input(name="valid_from", type="date", id="grant-from"), "grant-from"),
                field("截止日期（默认一年）", rx.input(name="valid_until", type="date", id="grant-until"), "grant-until"),
                field("授权依据", rx.input(name="reason", placeholder="必填，如 工作组会议纪要", id="grant-reason",
                                          width="20em"), "grant-reason"),
                rx.button("授权", type="submit", id="grant", disabled=~OfficerState.eligible), align="end", spacing="3",
                wrap="wrap"),
        width="100%", spacing="3"), on_submit=OfficerState.grant, width="100%")


def profile_form() -> rx.Component:
    p = OfficerState.profile
    return rx.form(rx.vstack(
        rx.flex(field("姓名", rx.input(name="name", id="profile-name", default_value=p["name"]), "profile-name"),
                field("科室", choice("department_code", OfficerState.departments, "profile-department",
                                    default_value=p["department_code"]), "profile-department"),
                field("在职起始", rx.input(name="joined_on", type="date", id="profile-joined",
                                          default_value=p["joined_on"]), "profile-joined"),
                spacing="3", wrap="wrap", width="100%"),
        rx.hstack(*[check(f"role-{r}", name, f"profile-role-{r}", default_checked=OfficerState.role_codes.contains(r))
                    for r, name in ROLE_NAMES.items()], spacing="5"),
        rx.flex(field("变更原因", rx.input(name="reason", placeholder="必填", id="profile-reason", width="20em"),
                      "profile-reason"),
                rx.button("保存", type="submit", id="save-profile"), align="end", spacing="3"),
        width="100%", spacing="3"), on_submit=OfficerState.save_profile, key=p["form_key"], width="100%")


DIALOGS = {  # action: (title, button, handler)
    "renew": ("续期一年", "确认续期", OfficerState.renew),
    "widen": ("确认扩大密钥范围", "确认扩大", OfficerState.confirm_widening),
    "revoke": ("撤销授权", "确认撤销", OfficerState.revoke),
    "exit": ("办理退出", "确认退出", OfficerState.exit_officer),
}


def dialog_text() -> rx.Component:
    g, p = OfficerState.dialog_grant, OfficerState.profile
    return rx.match(
        OfficerState.dialog,
        ("renew", rx.fragment("授权 #", g["id"], "（", g["term"], "）续期：自今日起新授权一年，原授权标为“已续期”；"
                              "绑定的密钥重新绑定到新授权，并签发新证书。")),
        ("widen", rx.fragment("授权 #", g["id"], " 的密钥将可以签署目录变更后新纳入范围的事项：", g["pending"],
                              "。密钥重新绑定，并签发新证书。")),
        ("revoke", rx.fragment("撤销 ", p["name"], "（", p["staff_no"], "）的授权 #", g["id"], "（", g["term"], "，范围：",
                               g["scope"], "）：绑定该授权的密钥立即不能签署，证书列入本局吊销列表，不可恢复。"
                               "已签署的决定仍然有效。")),
        ("exit", rx.fragment("为 ", p["name"], "（", p["staff_no"], "）办理退出：撤销其全部授权，停用其全部密钥"
                             "（证书列入本局吊销列表），不可恢复；名册与全部记录保留。")),
        rx.fragment(""))


def dialog_form(action: str) -> rx.Component:
    title, button, handler = DIALOGS[action]
    return rx.form(rx.vstack(
        messages("-dialog"),
        rx.el.input(type="hidden", name="authorization_id", value=OfficerState.dialog_grant["id"].to(str)),
        field("原因", rx.input(name="reason", id="confirm-reason", placeholder="必填", width="100%"), "confirm-reason",
              width="100%"),
        rx.hstack(rx.alert_dialog.cancel(rx.button("取消", variant="soft", color_scheme="gray", type="button",
                                                   id="confirm-cancel")),
                  rx.button(button, type="submit", id=f"confirm-{action}",
                            color_scheme="red" if action in ("revoke", "exit") else "orange"
                            if action == "widen" else None),
                  justify="end", width="100%"),
        spacing="3", width="100%", margin_top="12px"), on_submit=handler, reset_on_submit=False)


def confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(rx.alert_dialog.content(
        rx.alert_dialog.title(rx.match(OfficerState.dialog, *[(a, t[0]) for a, t in DIALOGS.items()], "")),
        rx.alert_dialog.description(dialog_text(), id="confirm-text"),
        rx.match(OfficerState.dialog, *[(a, dialog_form(a)) for a in DIALOGS], rx.fragment()),
        max_width="540px", id="officer-dialog"),
        open=OfficerState.dialog != "", on_open_change=lambda _open: OfficerState.close_dialog())


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
                  lambda r: rx.table.row(*cells(r, ("id", "kind", "what", "note", "at", "status"))), "records"),
            rx.card(qualification_form(), width="100%"),
            rx.heading("安全密钥", size="4"),
            rx.text("登记与停用密钥在“人员与密钥”页面办理。", size="2"),
            table(("编号", "状态", "绑定", "登记时间"), OfficerState.officer_keys,
                  lambda k: rx.table.row(*cells(k, ("id", "status", "bound", "at"))), "officer-keys"),
            rx.cond(OfficerState.officer_keys.length() == 0, rx.text("尚未登记密钥。", size="2", color="gray")),
            rx.heading("名册信息", size="4"),
            rx.card(profile_form(), width="100%"),
            rx.cond(p["active"] == "1", rx.card(rx.hstack(
                rx.text("办理退出：撤销全部授权、停用全部密钥，记录保留。", size="2"),
                rx.button("办理退出", color_scheme="red", variant="soft", on_click=OfficerState.ask("exit", ""),
                          id="exit-officer"), align="center", justify="between", width="100%"), width="100%")),
            rx.heading("全部记录", size="4"),
            table(("时间", "事项", "原因/备注"), OfficerState.history,
                  lambda h: rx.table.row(*cells(h, ("at", "what", "reason"))), "history"),
            confirm_dialog(),
            width="100%"))),
        active="/roster",
    )
