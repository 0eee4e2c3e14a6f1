import reflex as rx

from app.state.auth import AuthState

from app.components.layout import for_role, page
from app.rules.roles import APPROVER
from app.state.counter import CounterState


def field_error(field: str) -> rx.Component:
    return rx.cond(CounterState.field_errors.contains(field),
                   rx.text(CounterState.field_errors[field], color="red", size="2", id=f"error-{field}"))


def labelled(label: str, control: rx.Component, field: str = "", for_id: str = "") -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id or None, style={"font-weight": "bold", "font-size": "14px"}),
                     control, field_error(field) if field else rx.fragment(), spacing="1", width="100%")


def checkbox(name, text) -> rx.Component:
    return rx.el.label(rx.el.input(type="checkbox", name=name, style={"margin_right": "8px"}), text,
                       style={"display": "block", "padding": "2px 0"})


def condition_row(condition: str, i) -> rx.Component:
    return rx.vstack(
        checkbox("condition-" + i.to_string(), condition),
        rx.input(name="reason-" + i.to_string(), id="reason-" + i.to_string(), size="1", max_length=500,
                 placeholder="不符合时填写理由", width="100%"),
        spacing="1", width="100%", padding_bottom="4px")


def new_case_form() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("新办件：受理", size="4"),
        labelled("事项（仅显示您授权范围内、在独立审批清单上的事项）",
                 rx.el.select(rx.el.option("请选择事项", value=""),
                              rx.foreach(CounterState.items, lambda i: rx.el.option(i["label"], value=i["id"])),
                              value=CounterState.selected_item, on_change=CounterState.select_item,
                              id="item", style={"width": "100%", "padding": "6px"}), "item", "item"),
        rx.form(rx.vstack(
            labelled("申请人", rx.input(name="applicant_name", id="applicant-name", max_length=200),
                     "applicant_name", "applicant-name"),
            rx.hstack(
                labelled("证件类型", rx.el.select(rx.foreach(CounterState.id_types, lambda t: rx.el.option(t, value=t)),
                                                name="id_type", id="id-type", style={"padding": "6px"}),
                         "id_type", "id-type"),
                labelled("证件号码", rx.input(name="id_number", id="id-number", max_length=40), "id_number", "id-number"),
                width="100%"),
            labelled("收取材料", rx.box(rx.foreach(
                CounterState.materials,
                lambda m, i: checkbox("material-" + i.to_string(), m["name"] + "（" + m["form"] + "，" + m["required"] + "）")),
                id="materials"), "materials"),
            checkbox("no_conflict", "本人声明：与本申请无利害关系，无需回避"), field_error("no_conflict"),
            rx.button("材料齐全，受理", type="submit", id="accept"),
            spacing="3", width="100%"),
            on_submit=CounterState.accept, reset_on_submit=False, id="new-case-form", width="100%"),
        spacing="3", width="100%"), width="100%")


def current_case() -> rx.Component:
    return rx.cond(CounterState.case_id != 0, rx.card(rx.vstack(
        rx.heading("审查与决定：", CounterState.case_no, size="4"),
        rx.text("事项：", CounterState.case_item, "　办结时限：", CounterState.case_deadline, id="case-info"),
        rx.cond(CounterState.decision_id == 0,
                rx.form(rx.vstack(
                    rx.text("逐项审查受理条件（全部符合 → 准予许可；有不符合项 → 不予许可，须逐条写明理由）：",
                            weight="bold"),
                    rx.foreach(CounterState.conditions, condition_row),
                    rx.el.label("审查意见（必填，随决定一并签署）", html_for="opinion",
                                style={"font-weight": "bold", "font-size": "14px"}),
                    rx.text_area(name="opinion", id="opinion", max_length=500, width="100%", rows="3",
                                 placeholder="例如：经审查，申请材料齐全、符合法定形式，符合受理条件，同意准予许可。"),
                    rx.button("用安全密钥签署决定", type="submit", loading=CounterState.busy, id="sign"),
                    spacing="2", width="100%"), on_submit=CounterState.start_signing, reset_on_submit=False,
                    width="100%"),
                rx.hstack(rx.text("已签署：", CounterState.document_number, id="signed-number"),
                          rx.button("下载决定书", on_click=CounterState.download(CounterState.decision_id.to_string()),
                                    id="download"))),
        spacing="3", width="100%"), width="100%"))


def case_row(c: dict) -> rx.Component:
    keep = {"white_space": "nowrap"}  # 文号, numbers, dates and status never wrap
    return rx.table.row(
        rx.table.cell(c["case_no"], **keep), rx.table.cell(c["item"]), rx.table.cell(c["applicant"]),
        rx.table.cell(c["id_masked"], **keep), rx.table.cell(c["state"], **keep), rx.table.cell(c["deadline"], **keep),
        rx.table.cell(c["document_number"], **keep),
        rx.table.cell(rx.hstack(
            rx.button("打开", size="1", variant="soft", on_click=CounterState.open_case(c["id"])),
            rx.cond(c["decision_id"] != "",
                    rx.button("下载", size="1", on_click=CounterState.download(c["decision_id"]))))),
    )


@rx.page(route="/counter", title="审批窗口 · 独立审批系统", on_load=[AuthState.page_loaded, CounterState.load])
def counter() -> rx.Component:
    return page(
        "审批窗口",
        for_role(APPROVER,
            rx.hstack(new_case_form(), current_case(), width="100%", align="start", spacing="4"),
            rx.heading("我的办件", size="4"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("受理编号", "事项", "申请人", "证件号", "状态", "办结期限", "文号", "")])),
                rx.table.body(rx.foreach(CounterState.my_cases, case_row)), width="100%"),
        ),
    )
