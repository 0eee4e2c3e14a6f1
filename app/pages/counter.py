"""审批窗口: the new-application form on the left, the open case on the right, the approver's cases below."""

import reflex as rx

from app.components.layout import for_role, page
from app.rules.people.roles import APPROVER
from app.state.auth import AuthState
from app.state.counter import CounterState

NOWRAP = {"white_space": "nowrap"}  # 文号, numbers, dates and status never wrap
OPEN_STATES = ("received", "awaiting_correction", "accepted")


def field_error(field: str) -> rx.Component:
    return rx.cond(CounterState.field_errors.contains(field),
                   rx.text(CounterState.field_errors[field], color="red", size="2", id=f"error-{field}"))


def labelled(label: str, control: rx.Component, field: str = "", for_id: str = "") -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id or None, style={"font-weight": "bold", "font-size": "14px"}),
                     control, field_error(field) if field else rx.fragment(), spacing="1", width="100%")


def pick(name: str, options, placeholder: str, id_: str, **props) -> rx.Component:
    """A Radix select over [[value, label], …] that submits with its form."""
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id_, width="100%"),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(o[1], value=o[0]))),
        name=name, **props)


def material_row(m: dict, i) -> rx.Component:
    return rx.vstack(
        rx.checkbox(m["name"] + "（" + m["form"] + "，" + m["required"] + "）", name="material-" + i.to_string(),
                    id="material-" + i.to_string()),
        rx.cond(CounterState.intake == "correction",
                rx.input(name="need-" + i.to_string(), id="need-" + i.to_string(), size="1", max_length=300,
                         placeholder="缺少或不符合要求时写明需补正的内容（缺少的必需材料自动列入）", width="100%")),
        spacing="1", width="100%", padding_bottom="4px")


def new_case_form() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("新办件：收件", size="4"),
        labelled("事项（仅显示您授权范围内、在独立审批清单上的事项）", rx.select.root(
            rx.select.trigger(placeholder="请选择事项", id="item", width="100%"),
            rx.select.content(rx.foreach(CounterState.items,
                                         lambda i: rx.select.item(i["label"] + " · " + i["limit"], value=i["id"]))),
            value=CounterState.selected_item, on_change=CounterState.select_item), "item", "item"),
        labelled("办理方式", rx.segmented_control.root(
            rx.segmented_control.item("材料齐全，受理", value="accept"),
            rx.segmented_control.item("一次性告知补正", value="correction"),
            rx.segmented_control.item("不予受理", value="not_accepted"),
            value=CounterState.intake, on_change=CounterState.set_intake, id="intake", width="100%")),
        rx.form(rx.vstack(
            labelled("申请人（单位名称或姓名）", rx.input(name="applicant_name", id="applicant-name", max_length=200,
                                                  width="100%"), "applicant_name", "applicant-name"),
            rx.hstack(
                labelled("证件类型", rx.select(CounterState.id_types, name="id_type", default_value="居民身份证",
                                           id="id-type", width="100%"), "id_type", "id-type"),
                labelled("证件号码", rx.input(name="id_number", id="id-number", max_length=40, width="100%"),
                         "id_number", "id-number"),
                width="100%"),
            labelled("联系电话（选填，用于回访，加密保存）", rx.input(name="phone", id="phone", max_length=20, type="tel",
                                                     width="100%"), "phone", "phone"),
            rx.cond(CounterState.intake == "not_accepted",
                    rx.vstack(
                        labelled("不予受理的理由类别", pick("category", CounterState.not_accepted_reasons, "请选择",
                                                   "category"), "category", "category"),
                        labelled("具体理由（写入不予受理决定书）",
                                 rx.text_area(name="reason", id="reason", max_length=500, rows="3", width="100%"),
                                 "reason", "reason"),
                        width="100%"),
                    labelled("收取材料（逐项核对）", rx.box(
                        rx.cond(CounterState.materials.length() == 0, rx.text("请先选择事项，再逐项核对材料", size="2",
                                                                              color="gray")),
                        rx.foreach(CounterState.materials, material_row), id="materials", width="100%"),
                        "materials")),
            rx.checkbox("本人声明：与本申请无利害关系，无需回避", name="no_conflict", id="no-conflict"),
            field_error("no_conflict"),
            rx.button(rx.match(CounterState.intake, ("correction", "出具补正材料通知书"),
                               ("not_accepted", "登记不予受理（随后签署决定书）"), "材料齐全，受理"),
                      type="submit", id="accept"),
            spacing="3", width="100%"),
            on_submit=CounterState.accept, reset_on_submit=False, id="new-case-form", width="100%"),
        spacing="3", width="100%"), width="100%")


def condition_row(condition: str, i) -> rx.Component:
    return rx.vstack(
        rx.checkbox(condition, name="condition-" + i.to_string(), id="condition-" + i.to_string()),
        rx.input(name="reason-" + i.to_string(), id="reason-" + i.to_string(), size="1", max_length=500,
                 placeholder="不符合时填写理由", width="100%"),
        spacing="1", width="100%", padding_bottom="4px")


def opinion_and_sign() -> rx.Component:
    return rx.fragment(
        rx.cond(CounterState.case["overdue"] == "1",
                labelled("逾期原因（已超过办结期限，必填，记入监督）",
                         rx.input(name="late_reason", id="late-reason", max_length=500, width="100%"),
                         for_id="late-reason")),
        rx.cond(CounterState.case["declare"] == "1",
                rx.checkbox("本人声明：与本申请无利害关系（接手的办件须先声明）", name="declare_no_conflict",
                            id="declare-no-conflict")),
        labelled("审查意见（必填，随决定一并签署）",
                 rx.text_area(name="opinion", id="opinion", max_length=500, width="100%", rows="3",
                              placeholder="例如：经审查，申请材料齐全、符合法定形式，符合受理条件，同意准予许可。"),
                 for_id="opinion"),
        rx.button("用安全密钥签署决定", type="submit", loading=CounterState.busy, id="sign"),
    )


def review_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("逐项审查受理条件（全部符合 → 准予许可；有不符合项 → 不予许可，须逐条写明理由）：", weight="bold"),
        rx.foreach(CounterState.conditions, condition_row),
        rx.cond(CounterState.case["permit"] != "",
                labelled("许可内容（准予时写入决定书，可按本申请具体化）",
                         rx.text_area(name="permit_content", id="permit-content", default_value=CounterState.case["permit"],
                                      max_length=500, rows="2", width="100%"), for_id="permit-content")),
        rx.cond(CounterState.case["validity"] != "",
                rx.text("许可有效期：自决定之日起 ", CounterState.case["validity"], size="2")),
        opinion_and_sign(),
        spacing="2", width="100%"), on_submit=CounterState.start_signing, reset_on_submit=False, width="100%")


def not_accepted_form() -> rx.Component:
    return rx.form(rx.vstack(
        rx.text("不予受理：", CounterState.case["closing"], id="closing"),
        opinion_and_sign(),
        spacing="2", width="100%"), on_submit=CounterState.start_signing, reset_on_submit=False, width="100%")


def correction_panel() -> rx.Component:
    return rx.vstack(
        rx.text("已一次性告知补正：", weight="bold"),
        rx.el.ol(rx.foreach(CounterState.correction, lambda c: rx.el.li(c["material"], "：", c["need"]))),
        rx.form(rx.vstack(
            rx.text("申请人补正后，重新核对材料：", weight="bold"),
            rx.foreach(CounterState.case_materials, lambda m, i: rx.checkbox(
                m["name"] + "（" + m["form"] + "）", name="received-" + i.to_string(), id="received-" + i.to_string(),
                default_checked=m["received"] == "1")),
            rx.button("补正材料齐全，受理", type="submit", id="accept-corrected"),
            spacing="2", width="100%"), on_submit=CounterState.accept_corrected, reset_on_submit=False, width="100%"),
        spacing="2", width="100%")


def dialog_error() -> rx.Component:
    return rx.cond(AuthState.error != "", rx.callout(AuthState.error, color_scheme="red", size="1", id="dialog-error"))


def action_dialog(name: str, label: str, title: str, description: str, body: rx.Component, handler,
                  on_open=None) -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(label, variant="soft", color_scheme="gray", size="2", id=f"open-{name}",
                                    on_click=on_open) if on_open else
                          rx.button(label, variant="soft", color_scheme="gray", size="2", id=f"open-{name}")),
        rx.dialog.content(
            rx.dialog.title(title), rx.dialog.description(description, size="2"),
            rx.form(rx.vstack(body, dialog_error(),
                              rx.hstack(rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray",
                                                                  type="button")),
                                        rx.button("确认", type="submit", color_scheme="red", id=f"confirm-{name}"),
                                        justify="end", width="100%"),
                              spacing="3", width="100%"),
                    on_submit=handler, reset_on_submit=False, width="100%"),
            max_width="520px"),
    )


def other_actions() -> rx.Component:
    return rx.hstack(
        action_dialog("withdraw", "申请人撤回", "申请人撤回申请", "办件终止办理，出具撤回申请确认书。",
                      labelled("撤回理由（申请人书面撤回申请的内容）",
                               rx.text_area(name="withdraw_reason", id="withdraw-reason", max_length=500, width="100%"),
                               for_id="withdraw-reason"), CounterState.withdraw),
        rx.cond(CounterState.case["state"] == "accepted", action_dialog(
            "transfer", "转出独立审批", "转出独立审批",
            "审查中发现不适用独立审批的情形：办件转出，出具告知书，由工作组转一般程序办理。",
            rx.vstack(labelled("情形", pick("transfer_category", CounterState.transfer_reasons, "请选择情形",
                                          "transfer-category"), for_id="transfer-category"),
                      labelled("具体情况", rx.text_area(name="transfer_reason", id="transfer-reason", max_length=500,
                                                    width="100%"), for_id="transfer-reason"), width="100%"),
            CounterState.transfer)),
        action_dialog("handover", "回避移交", "回避：移交其他独立审批员",
                      "与申请人有利害关系时，移交授权范围覆盖该事项的其他独立审批员办理；接收人签署前须声明无利害关系。",
                      rx.vstack(labelled("接收人", pick("to_officer", CounterState.candidates, "请选择接收人",
                                                     "to-officer"), for_id="to-officer"),
                                rx.cond(CounterState.candidates.length() == 0,
                                        rx.text("没有可接收的独立审批员：请转出独立审批", size="2", color="gray")),
                                labelled("回避事由", rx.text_area(name="recusal_reason", id="recusal-reason",
                                                              max_length=500, width="100%"), for_id="recusal-reason"),
                                width="100%"),
                      CounterState.hand_over, on_open=CounterState.load_candidates),
        spacing="2", wrap="wrap")


def documents() -> rx.Component:
    return rx.vstack(
        rx.foreach(CounterState.case_notices, lambda n: rx.hstack(
            rx.text(n["title"], size="2", style=NOWRAP),
            rx.button("打印", size="1", on_click=CounterState.notice_pdf(n["id"], True), id="print-notice-" + n["id"]),
            rx.button("下载", size="1", variant="soft", on_click=CounterState.notice_pdf(n["id"], False)),
            align="center")),
        rx.cond(CounterState.decision_id != 0, rx.hstack(
            rx.text("已签署：", CounterState.document_number, id="signed-number", style=NOWRAP),
            rx.button("打印", size="1", on_click=CounterState.print_decision(CounterState.decision_id.to_string()),
                      id="print"),
            rx.button("下载决定书", size="1", variant="soft",
                      on_click=CounterState.download(CounterState.decision_id.to_string()), id="download"),
            align="center")),
        spacing="2", width="100%", id="documents")


def current_case() -> rx.Component:
    state = CounterState.case["state"]
    return rx.cond(CounterState.case_id != 0, rx.card(rx.vstack(
        rx.hstack(rx.heading("办件 ", CounterState.case["case_no"], size="4", style=NOWRAP),
                  rx.badge(CounterState.case["state_name"], id="case-state", style=NOWRAP), align="center"),
        rx.text("事项：", CounterState.case["item"], "　承诺时限：", rx.el.span(CounterState.case["limit"], style=NOWRAP),
                "　办结期限：", rx.el.span(CounterState.case["deadline"], style=NOWRAP), id="case-info", size="2"),
        rx.cond(CounterState.case["handover"] != "",
                rx.callout(CounterState.case["handover"], size="1", color_scheme="amber", id="handover-note")),
        rx.cond(CounterState.case["timing"] != "",
                rx.badge(CounterState.case["timing"], color_scheme=rx.cond(CounterState.case["overdue"] == "1",
                                                                           "red", "blue"), id="case-timing")),
        documents(),
        rx.match(state,
                 ("awaiting_correction", correction_panel()),
                 ("accepted", review_form()),
                 ("received", not_accepted_form()),
                 rx.cond(CounterState.case["closing"] != "", rx.text(CounterState.case["closing"], size="2"))),
        rx.cond((state == "received") | (state == "awaiting_correction") | (state == "accepted"), other_actions()),
        spacing="3", width="100%"), width="100%", id="current-case"))


def case_row(c: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c["case_no"], style=NOWRAP), rx.table.cell(c["item"]), rx.table.cell(c["applicant"]),
        rx.table.cell(c["id_masked"], style=NOWRAP), rx.table.cell(c["state"], style=NOWRAP),
        rx.table.cell(c["deadline"], style=NOWRAP),
        rx.table.cell(rx.text(c["timing"], color=rx.cond(c["overdue"] == "1", "red", "inherit"), size="2"),
                      style=NOWRAP),
        rx.table.cell(c["document_number"], style=NOWRAP),
        rx.table.cell(rx.hstack(
            rx.button("打开", size="1", variant="soft", on_click=CounterState.open_case(c["id"])),
            rx.cond(c["decision_id"] != "",
                    rx.button("打印", size="1", variant="soft", on_click=CounterState.print_decision(c["decision_id"]))),
            rx.cond(c["decision_id"] != "",
                    rx.button("下载", size="1", on_click=CounterState.download(c["decision_id"]))),
            spacing="1"), style=NOWRAP),
    )


@rx.page(route="/counter", title="审批窗口 · 独立审批系统", on_load=[AuthState.page_loaded, CounterState.load])
def counter() -> rx.Component:
    return page(
        "审批窗口",
        for_role(APPROVER,
            rx.grid(new_case_form(), current_case(), columns=rx.breakpoints(initial="1", md="2"), spacing="4",
                    width="100%"),
            rx.heading("我的办件", size="4"),
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h, style=NOWRAP) for h in
                                               ("受理编号", "事项", "申请人", "证件号", "状态", "办结期限", "时限",
                                                "文号", "")])),
                rx.table.body(rx.foreach(CounterState.my_cases, case_row)), width="100%"),
                rx.cond(CounterState.my_cases.length() == 0, rx.text("暂无办件", color="gray", size="2", padding="8px")),
                width="100%", overflow_x="auto"),
        ),
        active="/counter",
    )
