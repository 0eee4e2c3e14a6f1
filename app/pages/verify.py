"""决定书核验: a public page a citizen can read. One verdict first; the technical checks folded."""

import reflex as rx

from app.components.layout import brand
from app.config import settings
from app.state.verify import VerifyState


def organ_header() -> rx.Component:
    """The bureau's emblem and name, as on every page (a citizen's page: no staff navigation)."""
    return rx.el.header(
        rx.box(brand("行政许可决定书核验", href=None), max_width="900px", margin="0 auto", width="100%",
               padding="0 24px"),
        class_name="app-header", padding_y="12px", width="100%")


def footer() -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.text(f"本页由{settings.organ_name}提供，任何人无需登录即可核验本局出具的决定书。", size="2"),
            rx.hstack(
                rx.button("下载本局根证书", on_click=VerifyState.download_root, variant="soft", size="1",
                          id="download-root"),
                rx.button("下载吊销列表", on_click=VerifyState.download_crl, variant="soft", size="1",
                          id="download-crl"),
                rx.text("离线核验：python -m app.signing.verify 决定书.pdf --root 根证书.pem", size="1", color="gray"),
                wrap="wrap", align="center"),
            spacing="2", max_width="900px", margin="0 auto"),
        padding="16px 24px", border_top="1px solid var(--gray-5)", width="100%", margin_top="32px")


def record_table() -> rx.Component:
    r = VerifyState.record
    rows = [("文号", r["number"]), ("文书", r["title"]), ("事项", r["item"]), ("申请人", r["applicant"]),
            ("决定时间", r["decided_at"]), ("审批人", r["approver"]), ("状态", r["state"]),
            ("密钥指纹", r["fingerprint"]), ("决定书文件 SHA-256", r["pdf_sha256"])]
    return rx.table.root(rx.table.body(*[
        rx.table.row(rx.table.row_header_cell(k, white_space="nowrap", width="10em"),
                     rx.table.cell(v, word_break="break-all")) for k, v in rows]),
        width="100%", id="record", variant="surface")


def verdict() -> rx.Component:
    return rx.cond(VerifyState.verdict != "", rx.callout(
        VerifyState.verdict, id="verdict", size="3",
        icon=rx.cond(VerifyState.valid, "circle_check", "circle_x"),
        color_scheme=rx.cond(VerifyState.valid, "green", "red"), width="100%"))


def check_row(c: dict) -> rx.Component:
    return rx.hstack(
        rx.icon(rx.cond(c["ok"] == "1", "circle_check", "circle_x"), color=rx.cond(c["ok"] == "1", "green", "red"),
                size=16, flex_shrink="0"),
        rx.text(c["name"], size="2"), rx.text(c["detail"], color="gray", size="1", word_break="break-all"),
        align="center", spacing="2")


def technical_details() -> rx.Component:
    return rx.cond(VerifyState.checks.length() > 0, rx.el.details(
        rx.el.summary("技术详情（逐项核验结果）", style={"cursor": "pointer", "font-weight": "bold"}),
        rx.vstack(rx.foreach(VerifyState.checks, check_row), spacing="1", padding_top="8px"),
        id="technical-details", style={"width": "100%"}))


def by_code() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.label("核验码（决定书二维码下方的 16 位字母数字）", html_for="code", style={"font-weight": "bold"}),
            rx.hstack(rx.input(name="code", id="code", placeholder="例如 3F2A9C0D1B7E4C55", max_length=32,
                               default_value=VerifyState.code, width="22em"),
                      rx.button("查询", type="submit", id="lookup")),
            spacing="2"),
        on_submit=VerifyState.lookup, reset_on_submit=False)


def by_file() -> rx.Component:
    return rx.vstack(
        rx.text("选择本局出具的决定书 PDF 文件（不超过 700 KB）。文件只用于本次核验，不会保存。", size="2"),
        rx.hstack(
            rx.el.label("选择文件", html_for="verify-file", class_name="rt-reset rt-BaseButton rt-r-size-2 "
                        "rt-variant-soft rt-Button", style={"cursor": "pointer"}, id="choose-file"),
            rx.el.input(type="file", id="verify-file", accept=".pdf,application/pdf",
                        on_change=VerifyState.choose_file, style={"display": "none"}),
            rx.text(rx.cond(VerifyState.file_name != "", VerifyState.file_name, "尚未选择文件"), size="2",
                    color="gray", id="file-name"),
            rx.button("核验文件", on_click=VerifyState.start_upload, id="verify-upload",
                      loading=VerifyState.checking, disabled=VerifyState.file_name == ""),
            align="center", wrap="wrap"),
        spacing="2")


@rx.page(route="/verify", title="决定书核验 · " + settings.organ_name, on_load=VerifyState.load)
def verify() -> rx.Component:
    return rx.box(
        organ_header(),
        rx.vstack(
            rx.heading("行政许可决定书核验", size="6"),
            rx.text("可凭决定书上的核验码查询，或上传决定书 PDF 文件，确认其是否由本局出具、内容是否被改动。"),
            rx.tabs.root(
                rx.tabs.list(rx.tabs.trigger("按核验码查询", value="code"), rx.tabs.trigger("上传文件核验", value="file")),
                rx.tabs.content(rx.box(by_code(), padding_top="12px"), value="code"),
                rx.tabs.content(rx.box(by_file(), padding_top="12px"), value="file"),
                default_value="code", width="100%"),
            rx.cond(VerifyState.problem != "", rx.callout(VerifyState.problem, color_scheme="red", id="problem",
                                                         icon="triangle_alert", width="100%")),
            verdict(),
            rx.foreach(VerifyState.notes, lambda n: rx.text(n, size="2", color="gray")),
            rx.cond(VerifyState.record.contains("number"), record_table()),
            technical_details(),
            padding="24px", max_width="900px", margin="0 auto", spacing="4", width="100%"),
        footer(),
        min_height="100vh")
