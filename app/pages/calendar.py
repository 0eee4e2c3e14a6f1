import reflex as rx

from app.state.auth import AuthState

from app.components.layout import field, for_role, page
from app.rules.roles import ADMIN
from app.state.calendar import CalendarState


def entry_row(e: dict) -> rx.Component:
    return rx.table.row(*[rx.table.cell(e[k]) for k in ("day", "kind", "name", "by", "at", "reason")])


@rx.page(route="/calendar", title="节假日 · 独立审批系统", on_load=[AuthState.page_loaded, CalendarState.load])
def calendar() -> rx.Component:
    return page(
        "节假日与调休",
        for_role(ADMIN,
            rx.text("办结期限按工作日计算，自受理次日起算，调休上班日计为工作日。本表优先于内置日历；"
                    "内置日历尚无数据的年份按周一至周五计算并标为“暂定”，请按国务院办公厅通知录入后确认。"),
            rx.cond(CalendarState.missing_years.length() > 0, rx.callout(
                rx.hstack(rx.text("以下年份尚无放假安排数据，期限为暂定："),
                          rx.foreach(CalendarState.missing_years, lambda y: rx.badge(y))),
                icon="calendar_x", color_scheme="orange", id="missing-years", width="100%")),
            rx.hstack(rx.text("年份："),
                      rx.input(default_value=CalendarState.year.to_string(), on_blur=CalendarState.show_year,
                               width="7em", id="year"),
                      rx.badge(rx.cond(CalendarState.year_known, "已有数据", "无数据（暂定）"),
                               color_scheme=rx.cond(CalendarState.year_known, "green", "orange"), id="year-state"),
                      align="center"),
            rx.table.root(rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                                         ("日期", "类型", "名称", "登记人", "登记时间", "原因")])),
                          rx.table.body(rx.foreach(CalendarState.entries, entry_row)), width="100%", id="entries"),
            rx.card(rx.form(rx.hstack(
                field("日期", rx.input(name="day", type="date", id="entry-day")),
                field("类型", rx.el.select(rx.el.option("放假", value="holiday"), rx.el.option("调休上班", value="workday"),
                                         rx.el.option("撤回此日登记", value="withdrawn"), name="kind", id="entry-kind",
                                         style={"padding": "6px"})),
                field("名称", rx.input(name="name", placeholder="如 元旦", id="entry-name")),
                field("原因", rx.input(name="reason", placeholder="如 国办发明电〔2026〕号通知", id="entry-reason")),
                rx.button("登记", type="submit", id="add-entry"), align="end"), on_submit=CalendarState.add_entry),
                width="100%"),
            rx.card(rx.form(rx.hstack(
                rx.text("确认本年度放假安排已全部录入："),
                rx.input(name="note", placeholder="依据（必填）", id="year-note"),
                rx.button("确认", type="submit", id="mark-entered"), align="center"),
                on_submit=CalendarState.mark_entered), width="100%"),
        ),
    )
