"""回访 (auditors): draw a visit list, record each visit's 好差评, follow bad ratings to closure."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.supervision.return_visits import ASPECTS, CHANNELS, LEVELS, RECTIFICATION_WORKDAYS, STATUS
from app.rules.people.roles import AUDITOR
from app.state.auth import AuthState
from app.state.visits import VisitsState

NOWRAP = {"white_space": "nowrap"}  # case numbers, dates and status never wrap
LABEL = {"font-weight": "bold", "font-size": "14px"}


def labelled(label: str, for_id: str, control: rx.Component, width: str = "100%") -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id, style=LABEL), control, spacing="1", width=width)


def pick(name: str, options: list[tuple[str, str]], id_: str) -> rx.Component:
    """A Radix select that submits with its form."""
    return rx.select.root(rx.select.trigger(placeholder="请选择", id=id_, width="100%"),
                          rx.select.content(*[rx.select.item(label, value=value) for value, label in options]),
                          name=name)


def dialog_error() -> rx.Component:
    return rx.cond(AuthState.error != "", rx.callout(AuthState.error, color_scheme="red", size="1", id="dialog-error"))


def draw_form() -> rx.Component:
    return rx.card(rx.form(rx.hstack(
        labelled("办结日期自", "draw-from", rx.input(type="date", name="from", id="draw-from",
                                                 default_value=VisitsState.default_from), "auto"),
        labelled("至", "draw-to", rx.input(type="date", name="to", id="draw-to", default_value=VisitsState.default_to),
                 "auto"),
        labelled("抽取比例（%）", "draw-rate", rx.input(type="number", name="rate", id="draw-rate", min=1, max=100,
                                                   default_value="20", width="7em"), "auto"),
        rx.button("抽取回访名单", type="submit", id="draw"),
        align="end", spacing="3", wrap="wrap"), on_submit=VisitsState.draw, reset_on_submit=False),
        width="100%")


def record_dialog(r: dict) -> rx.Component:
    levels = [(str(k), v) for k, v in LEVELS.items()]
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("登记回访", size="1", id="record-" + r["id"])),
        rx.dialog.content(
            rx.dialog.title("登记回访：", r["case_no"]),
            rx.dialog.description("五级评价：非常满意、满意、基本满意、不满意、非常不满意。任一方面为不满意或非常不满意即为差评，"
                                  f"转核实整改，期限 {RECTIFICATION_WORKDAYS} 个工作日。", size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="visit_id", value=r["id"]),
                labelled("回访方式", "channel", pick("channel", list(CHANNELS.items()), "channel")),
                rx.grid(*[labelled(label, "rating-" + aspect, pick(aspect, levels, "rating-" + aspect))
                          for aspect, label in ASPECTS.items()], columns="2", spacing="3", width="100%"),
                labelled("申请人意见建议（差评须写明反映的问题）", "comments",
                         rx.text_area(name="comments", id="comments", max_length=1000, width="100%")),
                dialog_error(),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("登记", type="submit", id="confirm-record"), justify="end", width="100%"),
                spacing="3", width="100%"), on_submit=VisitsState.record, reset_on_submit=False),
            max_width="560px"),
        open=VisitsState.recording == r["id"],
        on_open_change=lambda is_open: VisitsState.set_recording(r["id"], is_open),
    )


def close_dialog(r: dict) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button("办结整改", size="1", variant="soft", id="close-" + r["id"])),
        rx.dialog.content(
            rx.dialog.title("办结整改：", r["case_no"]),
            rx.dialog.description("写明核实情况与整改结果；办结后不能修改。", size="2"),
            rx.form(rx.vstack(
                rx.el.input(type="hidden", name="visit_id", value=r["id"]),
                labelled("核实情况", "verification-" + r["id"],
                         rx.text_area(name="verification", id="verification-" + r["id"], max_length=500, width="100%")),
                labelled("整改结果", "closing-note-" + r["id"],
                         rx.text_area(name="closing_note", id="closing-note-" + r["id"], max_length=500, width="100%")),
                dialog_error(),
                rx.hstack(rx.dialog.close(rx.button("取消", type="button", variant="soft", color_scheme="gray")),
                          rx.button("确认办结", type="submit", id="confirm-close-" + r["id"]), justify="end",
                          width="100%"),
                spacing="3", width="100%"), on_submit=VisitsState.close, reset_on_submit=False),
            max_width="520px"),
        open=VisitsState.closing == r["id"],
        on_open_change=lambda is_open: VisitsState.set_closing(r["id"], is_open),
    )


def phone_cell(r: dict) -> rx.Component:
    return rx.cond(VisitsState.revealed.contains(r["id"]),
                   rx.text(VisitsState.revealed[r["id"]], id="phone-" + r["id"], style=NOWRAP),
                   rx.hstack(rx.text(r["phone"], id="phone-" + r["id"], style=NOWRAP),
                             rx.cond(r["has_phone"] == "1",
                                     rx.button("显示", size="1", variant="ghost", id="reveal-" + r["id"],
                                               on_click=VisitsState.reveal(r["id"]))),
                             spacing="1", align="center"))


def visit_row(r: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["case_no"], href="/responsibility?case=" + r["case_id"]), style=NOWRAP),
        rx.table.cell(r["item"]), rx.table.cell(r["approver"], style=NOWRAP), rx.table.cell(r["decided"], style=NOWRAP),
        rx.table.cell(r["applicant"]), rx.table.cell(phone_cell(r)),
        rx.table.cell(rx.text(r["status"], color=rx.cond(r["state"] == "rectifying", "red", "inherit")), style=NOWRAP),
        rx.table.cell(rx.cond(r["state"] == "pending", record_dialog(r),
                              rx.text(r["visited"], " ", r["channel"], size="1", style=NOWRAP))),
        id="visit-" + r["id"])


def rectification_row(r: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["case_no"], href="/responsibility?case=" + r["case_id"]), style=NOWRAP),
        rx.table.cell(r["approver"], style=NOWRAP), rx.table.cell(r["visited"], style=NOWRAP),
        rx.table.cell(r["ratings"]), rx.table.cell(r["comments"]),
        rx.table.cell(rx.text(r["due"], color=rx.cond(r["overdue"] == "1", "red", "inherit"),
                              weight=rx.cond(r["overdue"] == "1", "bold", "regular")), style=NOWRAP),
        rx.table.cell(rx.cond(r["state"] == "closed",
                              rx.vstack(rx.text(r["closed"], rx.cond(r["late"] == "1", "（逾期办结）", ""), size="1",
                                                style=NOWRAP),
                                        rx.text("核实：", r["verification"], size="1"),
                                        rx.text("整改：", r["closing_note"], size="1"), spacing="1"),
                              rx.vstack(rx.text(rx.cond(r["overdue"] == "1", "已逾期", "整改中"),
                                                color=rx.cond(r["overdue"] == "1", "red", "orange"), style=NOWRAP),
                                        close_dialog(r), spacing="1"))),
        id="rectification-" + r["id"])


def table(headers, rows, row, id_: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in headers])),
        rx.table.body(rx.foreach(rows, row)), width="100%", id=id_), width="100%", overflow_x="auto")


@rx.page(route="/visits", title="回访 · 独立审批系统", on_load=[AuthState.page_loaded, VisitsState.load])
def visits() -> rx.Component:
    return page(
        "回访与好差评",
        for_role(AUDITOR,
            rx.text("按比例从办结办件中随机抽取回访名单（同一办件只抽取一次；抽取过程可复核），电话、短信或现场回访，"
                    "对办事流程、服务态度、办事效率、廉洁自律逐项评价。", size="2"),
            draw_form(),
            rx.hstack(rx.heading("回访名单", size="4"), rx.spacer(),
                      rx.segmented_control.root(
                          rx.segmented_control.item("全部", value="all"),
                          *[rx.segmented_control.item(label, value=code) for code, label in STATUS.items()],
                          value=VisitsState.status_filter, on_change=VisitsState.set_filter, id="visit-filter"),
                      width="100%", align="center"),
            rx.cond(VisitsState.rows.length() == 0, rx.text("没有回访记录。", color="gray", id="no-visits"),
                    table(("受理编号", "事项", "审批员", "办结日期", "申请人", "联系电话", "状态", "回访"),
                          VisitsState.rows, visit_row, "visits")),
            rx.heading("差评核实整改", size="4"),
            rx.cond(VisitsState.rectifications.length() == 0, rx.text("没有差评记录。", color="gray", id="no-rectifications"),
                    table(("受理编号", "审批员", "回访时间", "评价", "反映问题", "整改期限", "办理情况"),
                          VisitsState.rectifications, rectification_row, "rectifications")),
        ),
    )
