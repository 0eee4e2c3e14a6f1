import reflex as rx

from app.state.auth import AuthState

from app.components.layout import field, for_role, page, pager, select_box
from app.rules.roles import ADMIN
from app.rules.scope import EXCLUSION_FLAGS
from app.state.catalog import CatalogState


def item_row(i: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(i["code"], href="/item?id=" + i["id"])), rx.table.cell(i["name"]),
        rx.table.cell(i["category"]), rx.table.cell(i["type"]), rx.table.cell(i["limit"]),
        rx.table.cell(rx.text(i["listed"], color="green")), rx.table.cell(rx.text(i["flags"], color="red")),
        rx.table.cell(i["revision"]))


def wide(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="bold"), control, spacing="1", width="100%")


def item_form(state, prefix: str = "", values=None) -> list[rx.Component]:
    """The implementation-list fields; the new-item form (values None) and the item page share it."""
    def value(name: str, default: str = ""):
        return values[name] if values is not None else default

    def text(name: str, default: str = "", **props):
        return rx.input(name=name, id=f"{prefix}{name}", default_value=value(name, default), width="100%", **props)

    def lines(name: str, **props):
        return rx.text_area(name=name, rows="4", id=f"{prefix}{name}", default_value=value(name), width="100%", **props)

    return [
        rx.hstack(field("事项编码", text("code", read_only=values is not None)), field("事项名称", text("name")),
                  width="100%"),
        rx.hstack(field("审批门类", select_box("category_code", state.categories, "code", "name", "请选择",
                                            default_value=value("category_code"), id=f"{prefix}category")),
                  field("实施科室", select_box("department_code", state.departments, "code", "name", "请选择",
                                            default_value=value("department_code"), id=f"{prefix}department")),
                  field("办件类型", rx.el.select(rx.el.option("即办件"), rx.el.option("承诺件"), name="item_type",
                                             default_value=value("item_type", "即办件"), style={"padding": "6px"})),
                  width="100%"),
        wide("设定依据", text("legal_basis")),
        wide("受理条件（每行一条，成为审查清单）", lines("conditions")),
        wide("申请材料（每行：名称|原件份数|复印件份数|是否必需）", lines("materials", placeholder="申请书|1|0|是")),
        rx.hstack(field("法定时限（工作日）", text("statutory_limit_days", "20")),
                  field("承诺时限（工作日，0 = 当场办结）", text("promised_limit_days", "0")),
                  field("收费", text("fee", "不收费")), field("办理形式", text("handling_form", "窗口办理")), width="100%"),
        rx.hstack(field("咨询电话", text("consult_phone")), field("监督投诉电话", text("supervise_phone")), width="100%"),
        rx.text("不适用独立审批的情形（勾选任一项即不能列入清单）：", size="2", weight="bold"),
        rx.flex(*[rx.el.label(rx.el.input(type="checkbox", name=flag, id=f"{prefix}{flag}",
                                          default_checked=(values[flag] == "1") if values is not None else False),
                              label, style={"margin_right": "16px"})
                  for flag, label in EXCLUSION_FLAGS.items()], wrap="wrap"),
    ]


@rx.page(route="/catalog", title="事项清单 · 独立审批系统", on_load=[AuthState.page_loaded, CatalogState.load])
def catalog() -> rx.Component:
    return page(
        "独立审批事项清单",
        for_role(ADMIN,
            rx.form(rx.hstack(
                rx.input(name="query", placeholder="编码或名称", default_value=CatalogState.query),
                select_box("category", CatalogState.categories, "code", "name", "全部门类"),
                rx.el.select(rx.el.option("全部", value=""), rx.el.option("在清单内", value="yes"),
                             rx.el.option("不在清单内", value="no"), name="listed", style={"padding": "6px"}),
                rx.button("查询", type="submit"), rx.spacer(),
                rx.button("导出 Excel", on_click=CatalogState.export, type="button", variant="soft", id="export")),
                on_submit=CatalogState.search, reset_on_submit=False, width="100%"),
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("编码", "名称", "门类", "类型", "承诺时限", "清单", "不适用情形", "版本")])),
                rx.table.body(rx.foreach(CatalogState.rows, item_row)), width="100%", id="items"),
            pager(CatalogState),
            rx.card(rx.vstack(
                rx.heading("从 Excel 导入", size="4"),
                rx.text("按导出的表格格式填写。任何一行有误，整个文件都不导入，并指出行号。", size="2"),
                rx.hstack(rx.el.input(type="file", id="import-file", accept=".xlsx"),
                          rx.input(placeholder="导入原因（必填）", on_change=CatalogState.set_import_reason,
                                   id="import-reason"),
                          rx.button("导入", on_click=CatalogState.start_import, id="import")),
                width="100%"), width="100%"),
            rx.card(rx.form(rx.vstack(
                rx.heading("新增事项", size="4"), *item_form(CatalogState, "new-"),
                rx.hstack(rx.input(name="reason", placeholder="新增原因（必填）", id="new-reason"),
                          rx.button("新增事项", type="submit", id="create-item")),
                width="100%"), on_submit=CatalogState.create, reset_on_submit=False, width="100%"), width="100%"),
        ),
    )
