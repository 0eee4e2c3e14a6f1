import reflex as rx

from app.state.auth import AuthState

from app.components.layout import for_role, page
from app.rules.people.roles import ADMIN
from app.state.publicity import PublicityState

KEEP = {"white_space": "nowrap"}  # 文号 and dates never wrap


def pending_row(r: dict) -> rx.Component:
    late = r["overdue"] != ""
    return rx.table.row(
        rx.table.cell(r["number"], **KEEP), rx.table.cell(r["item"]), rx.table.cell(r["applicant"]),
        rx.table.cell(r["decided"], **KEEP),
        rx.table.cell(rx.text(r["due"], color=rx.cond(late, "red", "inherit"), weight=rx.cond(late, "bold", "regular")),
                      **KEEP),
        rx.table.cell(rx.cond(late, rx.text("已逾期", color="red", weight="bold"), rx.text("待公示")), **KEEP),
        class_name=rx.cond(late, "pending-row overdue", "pending-row"))


def batch_row(b: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(b["batch"], **KEEP), rx.table.cell(b["at"], **KEEP), rx.table.cell(b["by"], **KEEP),
        rx.table.cell(b["count"], **KEEP), rx.table.cell(b["late"]), rx.table.cell(rx.code(b["sha"]), **KEEP),
        rx.table.cell(b["note"]), class_name="batch-row")


def confirm_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button("确认已公示", disabled=PublicityState.exported_count == 0,
                                          color_scheme="green", id="confirm-open")),
        rx.alert_dialog.content(
            rx.alert_dialog.title("确认已公示"),
            rx.alert_dialog.description(
                "将把最近一次导出文件中的 ", PublicityState.exported_count.to_string(),
                " 条准予许可决定登记为已公示（批次号自动生成）。请确认已在信用网站完成公示；登记后不可撤销。"),
            rx.vstack(
                rx.el.label("备注（选填，如公示网站与栏目）", html_for="publish-note",
                            style={"font-weight": "bold", "font-size": "14px"}),
                rx.input(id="publish-note", on_change=PublicityState.set_note, max_length=500, width="100%"),
                spacing="1", width="100%", margin_top="12px"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("取消", variant="soft", color_scheme="gray", id="confirm-cancel")),
                rx.alert_dialog.action(rx.button("确认登记", color_scheme="green", on_click=PublicityState.confirm,
                                                 id="confirm-publish")),
                spacing="3", margin_top="16px", justify="end"),
        ),
        on_open_change=PublicityState.dialog_opened,
    )


@rx.page(route="/publicity", title="双公示 · 独立审批系统", on_load=[AuthState.page_loaded, PublicityState.load])
def publicity() -> rx.Component:
    return page(
        "双公示：准予许可决定公示",
        for_role(ADMIN,
            rx.text("准予行政许可决定应自作出之日起 7 个工作日内在信用网站公示（《行政许可法》第四十条，双公示）。"
                    "导出的文件按国家行政许可信息公示数据标准列出各字段；自然人的证件号码只导出脱敏后的号码。"),
            rx.cond(PublicityState.overdue_count > 0,
                    rx.callout(rx.text("有 ", PublicityState.overdue_count.to_string(), " 条已超过公示期限，请尽快公示。"),
                               icon="triangle_alert", color_scheme="red", id="overdue", width="100%")),
            rx.heading("待公示", size="4"),
            rx.cond(PublicityState.rows.length() > 0,
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, **KEEP) for h in
                                                       ("文号", "事项", "申请人", "决定日期", "公示期限", "状态")])),
                        rx.table.body(rx.foreach(PublicityState.rows, pending_row)), width="100%", id="pending"),
                    rx.text("没有待公示的准予许可决定。", id="no-pending", color="gray")),
            rx.hstack(
                rx.button("导出 Excel", on_click=PublicityState.export("xlsx"), variant="soft", id="export-xlsx",
                          disabled=PublicityState.rows.length() == 0),
                rx.button("导出 CSV", on_click=PublicityState.export("csv"), variant="soft", id="export-csv",
                          disabled=PublicityState.rows.length() == 0),
                confirm_dialog(), align="center", spacing="3"),
            rx.cond(PublicityState.exported_summary != "",
                    rx.text(PublicityState.exported_summary, size="2", id="export-summary")),
            rx.heading("已公示批次", size="4"),
            rx.cond(PublicityState.batches.length() > 0,
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, **KEEP) for h in
                                                       ("批次", "登记时间", "登记人", "条数", "逾期公示", "文件摘要", "备注")])),
                        rx.table.body(rx.foreach(PublicityState.batches, batch_row)), width="100%", id="batches"),
                    rx.text("尚无公示记录。", id="no-batches", color="gray")),
        ),
        active="/publicity",
    )
