import reflex as rx

from app.state.auth import AuthState

from app.components.layout import for_role, page
from app.rules.roles import AUDITOR
from app.state.audits import AuditsState


def decision_row(d: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["number"]), rx.table.cell(d["case_no"]), rx.table.cell(d["item"]),
        rx.table.cell(d["applicant"]), rx.table.cell(d["id_masked"]), rx.table.cell(d["approver"]),
        rx.table.cell(d["decided_at"]),
        rx.table.cell(rx.button("下载决定书", size="1", on_click=AuditsState.download(d["id"]),
                                class_name="download-decision")),
    )


@rx.page(route="/audits", title="评查 · 独立审批系统", on_load=[AuthState.page_loaded, AuditsState.load])
def audits() -> rx.Component:
    return page(
        "已签署的决定",
        for_role(AUDITOR,
            rx.hstack(
                rx.text("下载的决定书内嵌审批员密钥签署证据与本局签章，可用 python -m app.signing.verify "
                        "决定书.pdf --root 根证书.pem 离线核验（根证书见公开核验页）。", size="2"),
                rx.button("下载审计日志检查点", size="1", variant="soft", on_click=AuditsState.download_checkpoints,
                          id="download-checkpoints"),
                align="center", wrap="wrap"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("文号", "受理编号", "事项", "申请人", "证件号", "审批人", "签署时间", "")])),
                rx.table.body(rx.foreach(AuditsState.decisions, decision_row)),
                width="100%", id="decisions"),
        ),
    )
