"""节假日与调休: the year as the deadlines count it (12 month grids), the admins' entries, and
the forms to enter a day or confirm a year."""

import reflex as rx

from app.components.controls import choice
from app.components.layout import field, for_role, page
from app.rules.people.roles import ADMIN
from app.state.auth import AuthState
from app.state.calendar import WEEKDAYS, CalendarState

MONTHS = ("一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月")
LEGEND = (("cal-holiday", "法定节假日"), ("cal-makeup", "调休上班"), ("cal-weekend", "周末"),
          ("cal-workday", "工作日"), ("cal-workday cal-src-admin", "工作组录入"),
          ("cal-workday cal-provisional", "暂定（无放假安排数据）"))


def day_cell(d: dict) -> rx.Component:
    return rx.el.div(d["d"], class_name=d["cls"], title=d["title"],
                     custom_attrs={"data-date": d["date"], "data-kind": d["kind"]})


def month(index: int) -> rx.Component:
    return rx.el.div(
        rx.el.div(MONTHS[index], class_name="cal-month-title"),
        rx.el.div(*[rx.el.div(w, class_name="cal-dow") for w in WEEKDAYS],
                  rx.foreach(CalendarState.month_days[index], day_cell), class_name="cal-grid"),
        rx.cond(CalendarState.month_notes[index] != "",
                rx.text(CalendarState.month_notes[index], size="1", color="gray", margin_top="6px")),
        class_name="cal-month", id=f"month-{index + 1}")


def year_bar() -> rx.Component:
    return rx.form(rx.hstack(
        rx.button(rx.icon("chevron_left", size=16), "上一年", variant="soft", type="button", id="prev-year",
                  on_click=CalendarState.show_year((CalendarState.year - 1).to_string())),
        rx.el.label("年份", html_for="year", class_name="field-label"),
        # Keyed by the year: the box shows the year the server loaded, also on the first visit.
        rx.cond(CalendarState.year > 0,
                rx.input(name="year", id="year", type="number", min=2000, max=2100, width="7em",
                         key=CalendarState.year.to_string(), default_value=CalendarState.year.to_string(),
                         on_blur=CalendarState.show_year)),
        rx.button("下一年", rx.icon("chevron_right", size=16), variant="soft", type="button", id="next-year",
                  on_click=CalendarState.show_year((CalendarState.year + 1).to_string())),
        rx.badge(rx.cond(CalendarState.year_known, "已有放假安排数据", "无放假安排数据（暂定）"),
                 color_scheme=rx.cond(CalendarState.year_known, "green", "orange"), id="year-state", size="2"),
        rx.text("全年工作日 ", CalendarState.work_days, " 天，休息日 ", CalendarState.rest_days, " 天",
                size="2", color="gray", class_name="nowrap", id="year-totals"),
        align="center", spacing="3", wrap="wrap"), on_submit=CalendarState.show_year, reset_on_submit=False)


def legend() -> rx.Component:
    return rx.el.div(*[rx.el.span(rx.el.span("1", class_name=f"cal-day {cls}"), label) for cls, label in LEGEND],
                     class_name="cal-legend", id="legend")


def entry_row(e: dict) -> rx.Component:
    return rx.table.row(*[rx.table.cell(e[k], class_name="nowrap") for k in ("day", "kind", "name", "by", "at")],
                        rx.table.cell(e["reason"]))


def entry_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("登记放假或调休上班日", size="3"),
        rx.text("按国务院办公厅当年的放假通知逐日登记；登记优先于内置日历。登记有误的，选择“撤回此日登记”。",
                size="2", color="gray"),
        rx.hstack(
            field("日期", rx.input(name="day", type="date", id="entry-day"), "entry-day"),
            field("类型", choice("kind", [("holiday", "放假"), ("workday", "调休上班"), ("withdrawn", "撤回此日登记")],
                                "entry-kind", default_value="holiday", width="10em"), "entry-kind"),
            field("名称", rx.input(name="name", placeholder="如 元旦", id="entry-name"), "entry-name"),
            field("依据", rx.input(name="reason", placeholder="必填，如 国办发明电〔2026〕号通知", id="entry-reason",
                                  width="20em"), "entry-reason"),
            rx.button("登记", type="submit", id="add-entry"), align="end", wrap="wrap", spacing="3"),
        width="100%"), on_submit=CalendarState.add_entry), width="100%")


def confirm_year_form() -> rx.Component:
    return rx.card(rx.form(rx.vstack(
        rx.heading("确认 ", CalendarState.year, " 年放假安排已全部录入", size="3"),
        rx.text("确认后，该年度的期限不再是暂定；在办件的暂定期限随即重新计算。", size="2", color="gray"),
        rx.hstack(field("依据", rx.input(name="note", placeholder="必填，如 国办发明电〔2026〕号通知", id="year-note",
                                        width="24em"), "year-note"),
                  rx.button("确认", type="submit", id="mark-entered"), align="end", spacing="3"),
        width="100%"), on_submit=CalendarState.mark_entered), width="100%")


@rx.page(route="/calendar", title="节假日 · 独立审批系统", on_load=[AuthState.page_loaded, CalendarState.load])
def calendar() -> rx.Component:
    return page(
        "节假日与调休",
        for_role(ADMIN,
            rx.text("办结期限按工作日计算，自受理次日起算，调休上班日计为工作日。来源优先次序：工作组录入 > 内置日历"
                    "（chinesecalendar）> 周一至周五推定。内置日历尚无数据的年份按周一至周五推定并标为“暂定”，"
                    "请按国务院办公厅通知录入后确认。", size="2"),
            rx.cond(CalendarState.missing_years.length() > 0, rx.callout(
                rx.hstack(rx.text("以下年份尚无放假安排数据，期限为暂定："),
                          rx.foreach(CalendarState.missing_years, lambda y: rx.badge(y))),
                icon="calendar_x", color_scheme="orange", id="missing-years", width="100%")),
            year_bar(),
            rx.cond(~CalendarState.year_known & (CalendarState.year > 0), rx.callout(
                CalendarState.year.to_string() + " 年尚无放假安排数据：下表按周一至周五推定，依此计算的期限为暂定。",
                icon="triangle_alert", color_scheme="orange", id="provisional", width="100%")),
            legend(),
            rx.cond(CalendarState.month_days.length() == 12,
                    rx.el.div(*[month(i) for i in range(12)], class_name="cal-year", id="year-grid")),
            entry_form(),
            rx.cond(~CalendarState.year_known, confirm_year_form()),
            rx.heading("工作组录入记录", size="4"),
            rx.box(rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in
                                               ("日期", "类型", "名称", "登记人", "登记时间", "依据")])),
                rx.table.body(rx.foreach(CalendarState.entries, entry_row)), width="100%", id="entries"),
                class_name="table-scroll"),
            rx.cond(CalendarState.entries.length() == 0,
                    rx.text("本年度没有录入记录：全部按内置日历（或周一至周五推定）。", size="2", color="gray")),
        ),
        active="/calendar",
    )
