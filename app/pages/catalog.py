"""事项清单: search and pages, Excel out and in, a new item (in a dialog)."""

import reflex as rx

from app.components.controls import ANY, check, choice
from app.components.layout import field, for_role, messages, page, pager
from app.rules.people.roles import ADMIN
from app.rules.people.scope import EXCLUSION_FLAGS
from app.state.auth import AuthState
from app.state.catalog import CatalogState

MATERIALS_HINT = ("每行一项，依次为：名称|原件份数|复印件份数|是否必需（是/否），用竖线分隔。"
                  "例如：营业执照|0|1|是 表示营业执照复印件 1 份、必需。")


def item_row(i: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(i["code"], href="/item?id=" + i["id"]), class_name="nowrap"), rx.table.cell(i["name"]),
        rx.table.cell(i["category"], class_name="nowrap"), rx.table.cell(i["type"], class_name="nowrap"),
        rx.table.cell(i["limit"], class_name="nowrap"),
        rx.table.cell(rx.text(i["listed"], color="green"), class_name="nowrap"),
        rx.table.cell(rx.text(i["flags"], color="red")),
        rx.table.cell(i["revision"], class_name="nowrap"))


def wide(label: str, control: rx.Component, for_id: str, hint: str = "") -> rx.Component:
    return rx.vstack(rx.el.label(label, html_for=for_id, class_name="field-label"), control,
                     *([rx.text(hint, class_name="hint")] if hint else []), spacing="1", width="100%")


def item_form(state, prefix: str = "", values=None) -> list[rx.Component]:
    """The implementation-list fields; the new-item form (values None) and the item page share it."""
    def value(name: str, default: str = ""):
        return values[name] if values is not None else default

    def text(name: str, default: str = "", **props):
        return rx.input(name=name, id=f"{prefix}{name}", default_value=value(name, default), width="100%", **props)

    def lines(name: str, rows: str = "4", **props):
        return rx.text_area(name=name, rows=rows, id=f"{prefix}{name}", default_value=value(name), width="100%",
                            **props)

    def cell(label: str, name: str, control: rx.Component) -> rx.Component:
        return field(label, control, f"{prefix}{name}", width="100%")

    return [
        rx.grid(cell("事项编码", "code", text("code", read_only=values is not None)),
                cell("事项名称", "name", text("name")), columns="2", spacing="3", width="100%"),
        rx.grid(cell("审批门类", "category", choice("category_code", state.categories, f"{prefix}category",
                                                 default_value=value("category_code") if values is not None else None,
                                                 width="100%")),
                cell("实施科室", "department", choice("department_code", state.departments, f"{prefix}department",
                                                   default_value=value("department_code") if values is not None else None,
                                                   width="100%")),
                cell("办件类型", "item_type", choice("item_type", [("即办件", "即办件"), ("承诺件", "承诺件")],
                                                 f"{prefix}item_type", default_value=value("item_type", "即办件"),
                                                 width="100%")),
                columns="3", spacing="3", width="100%"),
        wide("设定依据", text("legal_basis"), f"{prefix}legal_basis"),
        wide("许可内容", lines("permit_content", rows="2", placeholder="准予许可时决定书载明的许可内容（可空）"),
             f"{prefix}permit_content"),
        wide("受理条件", lines("conditions"), f"{prefix}conditions", "每行一条，每条成为审批员审查清单的一行。"),
        wide("申请材料", lines("materials", placeholder="申请书|1|0|是\n营业执照|0|1|是"), f"{prefix}materials",
             MATERIALS_HINT),
        rx.grid(cell("法定时限（工作日）", "statutory_limit_days", text("statutory_limit_days", "20", type="number")),
                cell("承诺时限（工作日，0 = 当场办结）", "promised_limit_days",
                     text("promised_limit_days", "0", type="number")),
                cell("许可有效期（月，0 = 不设有效期）", "validity_months", text("validity_months", "0", type="number")),
                columns="3", spacing="3", width="100%"),
        rx.grid(cell("收费", "fee", text("fee", "不收费")), cell("办理形式", "handling_form", text("handling_form", "窗口办理")),
                cell("咨询电话", "consult_phone", text("consult_phone")),
                cell("监督投诉电话", "supervise_phone", text("supervise_phone")),
                columns="4", spacing="3", width="100%"),
        rx.text("不适用独立审批的情形（勾选任一项即不能列入清单）：", size="2", weight="bold"),
        rx.flex(*[check(flag, label, f"{prefix}{flag}",
                        default_checked=(values[flag] == "1") if values is not None else False)
                  for flag, label in EXCLUSION_FLAGS.items()], wrap="wrap", spacing="4"),
    ]


def search_form() -> rx.Component:
    return rx.form(rx.hstack(
        rx.input(name="query", placeholder="编码或名称", default_value=CatalogState.query, id="catalog-query",
                 aria_label="编码或名称"),
        choice("category", CatalogState.categories, "catalog-category", placeholder="全部门类",
               first=(ANY, "全部门类"), aria_label="审批门类", width="10em"),
        choice("listed", [(ANY, "全部"), ("yes", "在清单内"), ("no", "不在清单内")], "catalog-listed",
               placeholder="清单：全部", aria_label="是否在清单内", width="9em"),
        rx.button("查询", type="submit", id="catalog-search"), rx.spacer(),
        rx.button(rx.icon("file_down", size=16), "导出 Excel", on_click=CatalogState.export, type="button",
                  variant="soft", id="export"),
        rx.button(rx.icon("plus", size=16), "新增事项", on_click=CatalogState.open_add, type="button",
                  id="open-new-item"),
        align="center", width="100%", spacing="3"),
        on_submit=CatalogState.search, reset_on_submit=False, width="100%")


def new_item_dialog() -> rx.Component:
    return rx.dialog.root(rx.dialog.content(
        rx.dialog.title("新增事项"),
        rx.dialog.description("新增的事项不在独立审批清单内；核对后在事项页列入清单。", size="2", color="gray"),
        rx.form(rx.vstack(
            messages("-dialog"),
            *item_form(CatalogState, "new-"),
            rx.hstack(field("新增原因", rx.input(name="reason", placeholder="必填", id="new-reason", width="24em"),
                            "new-reason"),
                      rx.spacer(),
                      rx.dialog.close(rx.button("取消", variant="soft", color_scheme="gray", type="button")),
                      rx.button("新增事项", type="submit", id="create-item"), align="end", width="100%", spacing="3"),
            width="100%", spacing="3", margin_top="12px"), on_submit=CatalogState.create, reset_on_submit=False),
        max_width="900px", id="new-item-dialog"),
        open=CatalogState.adding, on_open_change=lambda _open: CatalogState.close_add())


@rx.page(route="/catalog", title="事项清单 · 独立审批系统", on_load=[AuthState.page_loaded, CatalogState.load])
def catalog() -> rx.Component:
    return page(
        "独立审批事项清单",
        for_role(ADMIN,
            search_form(),
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("编码", "名称", "门类", "类型", "承诺时限", "清单", "不适用情形", "版本")])),
                rx.table.body(rx.foreach(CatalogState.rows, item_row)), width="100%", id="items"),
                class_name="table-scroll"),
            pager(CatalogState),
            rx.card(rx.vstack(
                rx.heading("从 Excel 导入", size="3"),
                rx.text("按导出的表格格式填写（可先导出再修改）。任何一行有误，整个文件都不导入，并指出行号。", size="2",
                        color="gray"),
                rx.hstack(
                    rx.vstack(
                        rx.text("Excel 文件（.xlsx）", class_name="field-label"),
                        rx.hstack(
                            rx.el.label("选择文件", html_for="import-file", id="choose-import-file",
                                        class_name="rt-reset rt-BaseButton rt-r-size-2 rt-variant-soft rt-Button",
                                        style={"cursor": "pointer"}),
                            rx.el.input(type="file", id="import-file", accept=".xlsx", style={"display": "none"},
                                        on_change=CatalogState.choose_file),
                            rx.text(rx.cond(CatalogState.import_file_name != "", CatalogState.import_file_name,
                                            "尚未选择文件"), size="2", color="gray", id="import-file-name"),
                            align="center", spacing="2"),
                        spacing="1"),
                    field("导入原因", rx.input(placeholder="必填", on_change=CatalogState.set_import_reason,
                                              id="import-reason", width="20em"), "import-reason"),
                    rx.button("导入", on_click=CatalogState.start_import, id="import"),
                    align="end", spacing="4", wrap="wrap"),
                width="100%"), width="100%", class_name="no-print"),
            new_item_dialog(),
        ),
        active="/catalog",
    )
