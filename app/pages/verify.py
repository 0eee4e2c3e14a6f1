import reflex as rx

from app.state.verify import VerifyState


def record_table() -> rx.Component:
    r = VerifyState.record
    rows = [("文号", r["number"]), ("文书", r["title"]), ("事项", r["item"]), ("申请人", r["applicant"]),
            ("决定时间", r["decided_at"]), ("审批人", r["approver"]), ("密钥指纹", r["fingerprint"]),
            ("决定书文件 SHA-256", r["pdf_sha256"])]
    return rx.table.root(rx.table.body(*[rx.table.row(rx.table.row_header_cell(k), rx.table.cell(v))
                                         for k, v in rows]), width="100%", id="record")


@rx.page(route="/verify", title="决定书核验 · 独立审批系统", on_load=VerifyState.load)
def verify() -> rx.Component:
    return rx.vstack(
        rx.heading("准予行政许可决定书核验", size="6"),
        rx.text("输入决定书上的核验码，或上传决定书 PDF，核验其是否由本局出具、是否被改动。"),
        rx.form(rx.hstack(rx.input(name="code", placeholder="核验码", default_value=VerifyState.code, id="code"),
                          rx.button("查询", type="submit")), on_submit=VerifyState.lookup),
        rx.hstack(rx.el.input(type="file", id="verify-file", accept=".pdf"),
                  rx.button("核验文件", on_click=VerifyState.start_upload, id="verify-upload")),
        rx.cond(VerifyState.problem != "", rx.callout(VerifyState.problem, color_scheme="red", id="problem")),
        rx.cond(VerifyState.verdict != "", rx.callout(VerifyState.verdict, id="verdict",
                                                      color_scheme=rx.cond(VerifyState.verdict.contains("有效："),
                                                                           "green", "red"))),
        rx.foreach(VerifyState.checks, lambda c: rx.hstack(
            rx.icon(rx.cond(c["ok"] == "1", "circle_check", "circle_x"), color=rx.cond(c["ok"] == "1", "green", "red"),
                    size=16), rx.text(c["name"]), rx.text(c["detail"], color="gray", size="2"))),
        rx.cond(VerifyState.record.contains("number"), record_table()),
        padding="24px", max_width="900px", margin="0 auto", spacing="4",
    )
