"""年度考核 (working group): each approver's figures, the level, disqualification with step-up."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.people.assessments import LEVELS
from app.rules.people.roles import ADMIN
from app.state.assessments import AssessmentsState
from app.state.auth import AuthState

NOWRAP = {"white_space": "nowrap"}
LABEL = {"font-weight": "bold", "font-size": "14px"}


def labelled(label: str, for_id: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id, style=LABEL), control, spacing="1", width="100%")


def dialog_error() -> rx.Component:
    return rx.cond(AuthState.error != "", rx.callout(AuthState.error, color_scheme="red", size="1", id="dialog-error"))


def level_dialog(r: dict) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("登记考核", size="1", id="assess-" + r["id"])),
        rx.dialog.content(
            rx.dialog.title(AssessmentsState.year, " 年度考核：", r["officer"]),
            rx.dialog.description("登记时的统计数据随考核一并保存。不合格，或勾选“发现严重问题”的，提出取消资格，"
                                  "由管理员确认（须再次确认密钥）。", size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="officer_id", value=r["id"]),
                labelled("考核等次", "level", rx.select.root(
                    rx.select.trigger(placeholder="请选择", id="level", width="100%"),
                    rx.select.content(*[rx.select.item(level, value=level) for level in LEVELS]), name="level")),
                labelled("考核意见（理由）", "reasons", rx.text_area(name="reasons", id="reasons", max_length=500,
                                                            width="100%")),
                rx.el.label(rx.checkbox(name="serious", id="serious"), " 发现严重问题（提出取消资格）",
                            html_for="serious", style={"display": "flex", "gap": "6px", "align-items": "center"}),
                dialog_error(),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("登记", type="submit", id="confirm-assess"), justify="end", width="100%"),
                spacing="3", width="100%"), on_submit=AssessmentsState.record, reset_on_submit=False),
            max_width="560px"),
        open=AssessmentsState.assessing == r["id"],
        on_open_change=lambda is_open: AssessmentsState.set_assessing(r["id"], is_open),
    )


def confirm_dialog(p: dict) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("确认取消资格", size="1", color_scheme="red", id="disqualify-" + p["id"])),
        rx.dialog.content(
            rx.dialog.title("确认取消资格：", p["officer"]),
            rx.dialog.description("将撤销该人员全部授权、停用全部密钥并吊销其证书（公布新的证书吊销列表）；"
                                  "此后须登记“重新取得资格”方可重新授权。须用您的安全密钥再次确认。", size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="assessment_id", value=p["id"]),
                labelled("决定依据（如工作组会议纪要）", "disqualify-reason",
                         rx.text_area(name="reason", id="disqualify-reason", max_length=500, width="100%")),
                dialog_error(),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("确认取消资格", type="submit", color_scheme="red", id="confirm-disqualify"),
                          justify="end", width="100%"),
                spacing="3", width="100%"), on_submit=AssessmentsState.confirm, reset_on_submit=False),
            max_width="520px"),
        open=AssessmentsState.confirming == p["id"],
        on_open_change=lambda is_open: AssessmentsState.set_confirming(p["id"], is_open),
    )


def approver_row(r: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["officer"], href="/officer?id=" + r["id"]), style=NOWRAP),
        rx.table.cell(rx.vstack(rx.text(r["decided"], weight="bold"), rx.text(r["outcomes"], size="1"), spacing="0"),
                      style=NOWRAP),
        rx.table.cell(r["on_time"], style=NOWRAP), rx.table.cell(r["defects"]), rx.table.cell(r["satisfaction"]),
        rx.table.cell(r["complaints"], style=NOWRAP), rx.table.cell(rx.text(r["findings"], size="1")),
        rx.table.cell(rx.cond(r["level"] != "",
                              rx.vstack(rx.badge(r["level"], color_scheme=rx.cond(r["level"] == "不合格", "red", "green")),
                                        rx.text(r["reasons"], size="1"), rx.text(r["assessed"], size="1", color="gray"),
                                        spacing="1"),
                              level_dialog(r))),
        id="approver-" + r["id"])


def proposal_row(p: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(p["officer"], style=NOWRAP), rx.table.cell(p["year"], style=NOWRAP),
        rx.table.cell(p["level"], style=NOWRAP), rx.table.cell(p["reasons"]),
        rx.table.cell(rx.cond(p["open"] == "1", confirm_dialog(p), rx.text(p["state"], color="red", style=NOWRAP))),
        id="proposal-" + p["id"])


def table(headers, rows, row, id_: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in headers])),
        rx.table.body(rx.foreach(rows, row)), width="100%", id=id_), width="100%", overflow_x="auto")


@rx.page(route="/assessments", title="年度考核 · 独立审批系统", on_load=[AuthState.page_loaded, AssessmentsState.load])
def assessments_page() -> rx.Component:
    return page(
        "独立审批员年度考核",
        for_role(ADMIN,
            rx.form(rx.hstack(
                rx.el.label("考核年度", html_for="year", style=LABEL),
                rx.input(name="year", id="year", default_value=AssessmentsState.year, key=AssessmentsState.year,
                         width="7em"),
                rx.button("查看", type="submit", variant="soft", id="choose-year"), align="center"),
                on_submit=AssessmentsState.choose_year, reset_on_submit=False),
            rx.text("统计口径：该年度签署的决定（北京时间）；按时办结以受理时确定（含延期）的办结期限为准；抽查以该办件最近一次评查结论为准；"
                    "满意指四个方面均为满意或非常满意；差评为任一方面不满意或非常不满意。", size="2", color="gray"),
            rx.cond(AssessmentsState.rows.length() == 0, rx.text("该年度没有独立审批员。", color="gray"),
                    table(("审批员", "办结", "按时办结率", "抽查瑕疵率", "回访满意率", "差评", "抽查发现", "考核"),
                          AssessmentsState.rows, approver_row, "approvers")),
            rx.heading("取消资格", size="4"),
            rx.cond(AssessmentsState.proposals.length() == 0, rx.text("没有提出取消资格的考核。", color="gray",
                                                                      id="no-proposals"),
                    table(("审批员", "年度", "等次", "理由", "确认"), AssessmentsState.proposals, proposal_row,
                          "proposals")),
        ),
    )
