"""终身负责 (auditors and the working group): a case's responsibility record."""

import reflex as rx

from app.components.layout import page
from app.rules.people.roles import ADMIN, AUDITOR
from app.state.auth import AuthState
from app.state.responsibility import ResponsibilityState

NOWRAP = {"white_space": "nowrap"}
LABEL = {"font-weight": "bold", "font-size": "14px"}


def for_supervisors(*children: rx.Component) -> rx.Component:
    """Auditors and admins (presentation only: the rule checks the role again)."""
    return rx.cond(~AuthState.signed_in, rx.link("请先使用安全密钥登录", href="/"),
                   rx.cond(AuthState.roles.contains(AUDITOR) | AuthState.roles.contains(ADMIN), rx.fragment(*children),
                           rx.text("无权访问：此页面仅限评查人员或工作组管理员使用。", id="denied", color="red")))


def fact(label: str, value) -> rx.Component:
    return rx.hstack(rx.text(label, weight="bold", size="2", style=NOWRAP, min_width="9em"), rx.text(value, size="2"),
                     align="start", width="100%")


def table(headers, rows, keys, id_: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in headers])),
        rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
            *[rx.table.cell(r[k], style=NOWRAP if k in ("at", "quarter", "due", "reviewed_at") else {}) for k in keys]))),
        width="100%", id=id_), width="100%", overflow_x="auto")


def record() -> rx.Component:
    c, w, d = ResponsibilityState.case, ResponsibilityState.who, ResponsibilityState.decision
    return rx.vstack(
        rx.card(rx.vstack(
            rx.heading("办件 ", c["case_no"], size="4"),
            fact("事项", c["item"] + "（第 " + c["item_revision"] + " 版）"), fact("申请人", c["applicant"]),
            fact("状态", c["state"] + " " + c["outcome"]), fact("收件", c["received_at"]),
            fact("受理", c["accepted_at"]), fact("办结期限", c["deadline"]), fact("办结", c["decided_at"]),
            rx.cond(c["late_reason"] != "", fact("逾期原因", c["late_reason"])),
            width="100%", spacing="1"), width="100%", id="case-facts"),
        rx.card(rx.vstack(
            rx.heading("责任人", size="4"),
            fact("收件", w["received"]), fact("受理", w["accepted"]), fact("审查", w["reviewed"]), fact("决定并签署", w["decided"]),
            width="100%", spacing="1"), width="100%", id="who"),
        rx.cond(d.contains("document_number"), rx.card(rx.vstack(
            rx.heading("签署的决定", size="4"),
            fact("文号", d["document_number"]), fact("结果", d["outcome"]), fact("签署时间", d["decided_at"]),
            fact("审查意见", d["review_opinion"]), fact("验证码", d["verification_code"]),
            fact("密钥", "#" + d["key_id"] + " 凭据 " + d["credential_id"]), fact("密钥指纹", d["fingerprint"]),
            fact("密钥现状", d["key_now"]), fact("证书序列号", d["certificate_serial"]), fact("证书现状", d["certificate_now"]),
            fact("依据的授权", d["authorization"]), fact("授权现状", d["authorization_now"]),
            fact("决定书 SHA-256", d["pdf_sha256"]),
            width="100%", spacing="1"), width="100%", id="decision")),
        rx.heading("办理经过", size="4"),
        table(("时间", "环节", "办理人", "情况"), ResponsibilityState.steps, ("at", "what", "officer", "details"), "steps"),
        rx.heading("抽查评查", size="4"),
        rx.cond(ResponsibilityState.findings.length() == 0, rx.text("未被抽查。", color="gray", size="2"),
                table(("季度", "评查时间", "评查人", "结论", "问题", "整改要求", "期限", "办结"), ResponsibilityState.findings,
                      ("quarter", "reviewed_at", "reviewer", "result", "notes", "rectification", "due", "closed"),
                      "findings")),
        rx.heading("回访", size="4"),
        rx.cond(ResponsibilityState.visits.length() == 0, rx.text("未抽取回访。", color="gray", size="2"),
                table(("抽取", "回访", "评价", "意见", "状态", "整改期限", "办结"), ResponsibilityState.visits,
                      ("drawn", "visited", "ratings", "comments", "status", "due", "closed"), "case-visits")),
        width="100%", spacing="3")


@rx.page(route="/responsibility", title="责任追溯 · 独立审批系统",
         on_load=[AuthState.page_loaded, ResponsibilityState.load])
def responsibility_page() -> rx.Component:
    return page(
        "责任追溯",
        for_supervisors(
            rx.form(rx.hstack(
                rx.el.label("受理编号或文号", html_for="query", style=LABEL),
                rx.input(name="query", id="query", width="20em", max_length=100),
                rx.button("查询", type="submit", id="find"), align="center"),
                on_submit=ResponsibilityState.find, reset_on_submit=False),
            rx.cond(ResponsibilityState.case.contains("case_no"), record()),
        ),
    )
