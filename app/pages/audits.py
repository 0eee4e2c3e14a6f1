"""评查 (auditors): find signed decisions, download them one by one, as an Excel list or as a ZIP
with a manifest and verification notes; the audit log; the log's signed checkpoints."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.supervision.audit_log import GROUPS
from app.rules.supervision.decision_search import OUTCOMES
from app.rules.people.roles import AUDITOR
from app.state.audits import AuditsState
from app.state.auth import AuthState

NOWRAP = {"white_space": "nowrap"}  # 文号, numbers, dates and status never wrap
ANY = "all"  # a Radix select item cannot have the value "": this one means "any"


def labelled(label: str, control: rx.Component, for_id: str) -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id, style={"font-weight": "bold", "font-size": "14px"}),
                     control, spacing="1")


def pick(name: str, options, id_: str, any_label: str, width: str = "14em") -> rx.Component:
    """A Radix select that submits with its form: a state list of {id, label}, or fixed (value, label) pairs."""
    if isinstance(options, list):
        items = [rx.select.item(label, value=value) for value, label in options]
    else:
        items = [rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["id"]))]
    return rx.select.root(rx.select.trigger(id=id_, width=width),
                          rx.select.content(rx.select.item(any_label, value=ANY), *items),
                          name=name, default_value=ANY)


def date_input(name: str, id_: str) -> rx.Component:
    return rx.input(type="date", name=name, id=id_, width="11em")


def text_input(name: str, id_: str, placeholder: str, max_length: int, width: str = "14em") -> rx.Component:
    return rx.input(name=name, id=id_, placeholder=placeholder, max_length=max_length, width=width)


def pager(page_no, pages, total_text, go, prefix: str) -> rx.Component:
    return rx.hstack(
        rx.button("上一页", size="1", variant="soft", disabled=page_no <= 1, on_click=go((page_no - 1).to_string()),
                  id=f"{prefix}-prev"),
        rx.text("第 ", page_no, " / ", pages, " 页，共 ", total_text, size="2", id=f"{prefix}-pages", style=NOWRAP),
        rx.button("下一页", size="1", variant="soft", disabled=page_no >= pages, on_click=go((page_no + 1).to_string()),
                  id=f"{prefix}-next"),
        align="center")


def search_form() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled("签署日期（起）", date_input("date_from", "date-from"), "date-from"),
            labelled("签署日期（止）", date_input("date_to", "date-to"), "date-to"),
            labelled("审批人", pick("approver_id", AuditsState.approvers, "approver", "全部审批人"), "approver"),
            labelled("事项", pick("item_id", AuditsState.items, "item", "全部事项", width="22em"), "item"),
            labelled("决定结果", pick("outcome", list(OUTCOMES.items()), "outcome", "全部结果", width="9em"), "outcome"),
            labelled("文号", text_input("document_number", "document-number", "完整文号", 100), "document-number"),
            labelled("受理编号", text_input("case_no", "case-no", "如 SL20250901000123", 32, "12em"), "case-no"),
            labelled("申请人（名称中的字词）", text_input("applicant", "applicant", "至少 2 个字", 100), "applicant"),
            rx.button("查询", type="submit", id="search", align_self="end"),
            wrap="wrap", spacing="3", align="end"),
        on_submit=AuditsState.search, reset_on_submit=False, id="search-form", width="100%")


def decision_row(d: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(d["number"], style=NOWRAP), rx.table.cell(d["case_no"], style=NOWRAP),
        rx.table.cell(d["item"], style={"min_width": "12em"}), rx.table.cell(d["applicant"], style={"min_width": "8em"}), rx.table.cell(d["id_masked"], style=NOWRAP),
        rx.table.cell(d["approver"], style=NOWRAP),
        rx.table.cell(rx.badge(d["outcome"], color_scheme=rx.match(d["outcome_code"], ("approved", "green"),
                                                                   ("refused", "red"), "gray")), style=NOWRAP),
        rx.table.cell(d["decided_at"], style=NOWRAP),
        rx.table.cell(rx.button("下载决定书", size="1", variant="soft", on_click=AuditsState.download(d["id"]),
                                class_name="download-decision"), style=NOWRAP),
        class_name="decision-row")


def exports_bar() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button("导出 Excel", on_click=AuditsState.export_xlsx, variant="soft", id="export-xlsx",
                      loading=AuditsState.exporting, disabled=AuditsState.total == 0),
            rx.button("打包下载 ZIP", on_click=AuditsState.build_zip, id="build-zip", loading=AuditsState.zip_running,
                      disabled=AuditsState.total == 0),
            rx.cond(AuditsState.zip_summary != "",
                    rx.button("再次下载压缩包", on_click=AuditsState.download_zip, variant="soft", id="download-zip")),
            rx.text("导出当前查询的全部结果：Excel 至多 50,000 条；ZIP 含每份决定书 PDF、清单（CSV/JSON，含 SHA-256）、"
                    "根证书、吊销列表和离线核验说明，至多 5,000 份。", size="1", color="gray"),
            align="center", wrap="wrap", spacing="3"),
        rx.cond(AuditsState.zip_running,
                rx.vstack(rx.progress(value=AuditsState.zip_percent, max=100, id="zip-progress", width="100%"),
                          rx.text("正在打包：", AuditsState.zip_done, " / ", AuditsState.zip_total, " 份", size="2",
                                  id="zip-status"),
                          width="100%", spacing="1")),
        rx.cond(AuditsState.zip_summary != "", rx.text(AuditsState.zip_summary, size="2", id="zip-summary")),
        width="100%", spacing="2")


def decisions_panel() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text("下载的决定书内嵌审批员密钥签署证据与本局签章，可用 python -m app.signing.verify "
                    "决定书.pdf --root 根证书.pem 离线核验（根证书见公开核验页）。", size="2"),
            rx.button("下载审计日志检查点", size="1", variant="soft", on_click=AuditsState.download_checkpoints,
                      id="download-checkpoints"),
            align="center", wrap="wrap"),
        search_form(),
        exports_bar(),
        rx.hstack(pager(AuditsState.page_no, AuditsState.pages, AuditsState.total_text, AuditsState.go_page, "decisions"),
                  rx.spacer(),
                  rx.el.label("每页", html_for="page-size", style={"font-size": "14px"}),
                  rx.select.root(rx.select.trigger(id="page-size"),
                                 rx.select.content(*[rx.select.item(f"{n} 条", value=str(n)) for n in (20, 50, 100)]),
                                 value=AuditsState.page_size, on_change=AuditsState.set_page_size),
                  width="100%", align="center"),
        rx.cond(AuditsState.rows.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in
                                                   ("文号", "受理编号", "事项", "申请人", "证件号", "审批人", "结果",
                                                    "签署时间", "")])),
                    rx.table.body(rx.foreach(AuditsState.rows, decision_row)), width="100%", id="decisions"),
                    width="100%", overflow_x="auto"),
                rx.text("没有符合条件的决定。", color="gray", id="no-decisions")),
        width="100%", spacing="3", padding_top="12px")


def log_row(e: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e["seq"], style=NOWRAP), rx.table.cell(e["at"], style=NOWRAP), rx.table.cell(e["actor"], style=NOWRAP),
        rx.table.cell(rx.el.span(e["action"], title=e["code"]), style=NOWRAP),
        rx.table.cell(e["subject"], style={"overflow_wrap": "anywhere", "min_width": "10em"}),
        rx.table.cell(rx.text(e["details"], size="1", style={"overflow_wrap": "anywhere"}), style={"min_width": "22em"}),
        class_name="log-row")


def log_panel() -> rx.Component:
    return rx.vstack(
        rx.text("审计日志只读：每条记录以哈希链接前一条，并由本局定期签署检查点（见“下载审计日志检查点”）。", size="2"),
        rx.form(
            rx.flex(
                labelled("事件类别", pick("group", [(k, label) for k, (label, _) in GROUPS.items()], "log-group",
                                          "全部事件", width="18em"), "log-group"),
                labelled("人员（操作人或对象）", pick("officer_id", AuditsState.officers, "log-officer", "全部人员"),
                         "log-officer"),
                labelled("日期（起）", date_input("date_from", "log-date-from"), "log-date-from"),
                labelled("日期（止）", date_input("date_to", "log-date-to"), "log-date-to"),
                rx.button("筛选", type="submit", id="log-search"),
                wrap="wrap", spacing="3", align="end"),
            on_submit=AuditsState.search_log, reset_on_submit=False, width="100%"),
        pager(AuditsState.log_page_no, AuditsState.log_pages, AuditsState.log_total.to_string() + " 条",
              AuditsState.go_log_page, "log"),
        rx.cond(AuditsState.log_rows.length() > 0,
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in
                                                   ("序号", "时间（北京）", "操作人", "事件", "对象", "详情")])),
                    rx.table.body(rx.foreach(AuditsState.log_rows, log_row)), width="100%", id="audit-log"),
                    width="100%", overflow_x="auto"),
                rx.text("没有符合条件的记录。", color="gray", id="no-log")),
        width="100%", spacing="3", padding_top="12px")


@rx.page(route="/audits", title="评查 · 独立审批系统", on_load=[AuthState.page_loaded, AuditsState.load])
def audits() -> rx.Component:
    return page(
        "评查：已签署的决定",
        for_role(AUDITOR,
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("决定查询", value="decisions", id="tab-decisions"),
                             rx.tabs.trigger("审计日志", value="log", id="tab-log")),
                rx.tabs.content(decisions_panel(), value="decisions"),
                rx.tabs.content(log_panel(), value="log"),
                default_value="decisions", width="100%"),
        ),
    )
