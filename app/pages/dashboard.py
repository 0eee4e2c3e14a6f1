"""统计 (auditors and the working group): charts of decisions, on-time rate, satisfaction and
spot-check defects, each with its table and an xlsx export."""

import reflex as rx

from app.components.layout import page
from app.pages.responsibility import for_supervisors
from app.state.auth import AuthState
from app.state.dashboard import DashboardState

NOWRAP = {"white_space": "nowrap"}
LABEL = {"font-weight": "bold", "font-size": "14px"}
COLORS = {"approved": "#2e7d32", "refused": "#c62828", "not_accepted": "#ef6c00", "total": "#1565c0",
          "rate": "#1565c0", "mean": "#6a1b9a"}
OUTCOMES = (("approved", "准予"), ("refused", "不予"), ("not_accepted", "不予受理"))


def outcome_bars() -> list[rx.Component]:
    return [rx.recharts.bar(data_key=k, name=label, stack_id="outcome", fill=COLORS[k], is_animation_active=False)
            for k, label in OUTCOMES]


def bar_chart(key: str, x: str, bars: list[rx.Component], percent: bool = False) -> rx.Component:
    return rx.recharts.bar_chart(
        *bars, rx.recharts.x_axis(data_key=x),
        rx.recharts.y_axis(**({"domain": [0, 100]} if percent else {"allow_decimals": False})),
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"), rx.recharts.graphing_tooltip(), rx.recharts.legend(),
        data=DashboardState.charts[key], max_bar_size=56, width="100%", height=260)


def line_chart(key: str, x: str, y: str, name: str) -> rx.Component:
    return rx.recharts.line_chart(
        rx.recharts.line(data_key=y, name=name, stroke=COLORS["rate"], connect_nulls=False, is_animation_active=False),
        rx.recharts.x_axis(data_key=x), rx.recharts.y_axis(domain=[0, 100]),
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"), rx.recharts.graphing_tooltip(), rx.recharts.legend(),
        data=DashboardState.charts[key], width="100%", height=260)


def data_table(key: str) -> rx.Component:
    return rx.box(rx.table.root(
        rx.table.header(rx.table.row(rx.foreach(DashboardState.headers[key],
                                                lambda h: rx.table.column_header_cell(h, style=NOWRAP)))),
        rx.table.body(rx.foreach(DashboardState.rows[key], lambda row: rx.table.row(
            rx.foreach(row, lambda cell: rx.table.cell(cell, style=NOWRAP))))),
        size="1", width="100%", id="table-" + key.replace("_", "-")), width="100%", overflow_x="auto")


def panel(key: str, chart: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(
        rx.hstack(rx.heading(DashboardState.titles[key], size="3"), rx.spacer(),
                  rx.button("导出 Excel", size="1", variant="soft", on_click=DashboardState.export(key),
                            id="export-" + key.replace("_", "-")), width="100%", align="center"),
        chart, data_table(key), width="100%", spacing="2"), width="100%", id="panel-" + key.replace("_", "-"))


@rx.page(route="/dashboard", title="统计 · 独立审批系统", on_load=[AuthState.page_loaded, DashboardState.load])
def dashboard_page() -> rx.Component:
    return page(
        "统计",
        for_supervisors(
            rx.form(rx.hstack(
                rx.el.label("年度", html_for="dashboard-year", style=LABEL),
                rx.input(name="year", id="dashboard-year", default_value=DashboardState.year, key=DashboardState.year,
                         width="7em"),
                rx.button("查看", type="submit", variant="soft", id="dashboard-choose"), align="center"),
                on_submit=DashboardState.choose_year, reset_on_submit=False),
            panel("by_month", bar_chart("by_month", "month", outcome_bars())),
            rx.grid(panel("by_item", bar_chart("by_item", "code", outcome_bars())),
                    panel("by_approver", bar_chart("by_approver", "approver", outcome_bars())),
                    columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
            panel("on_time", line_chart("on_time", "month", "rate", "按时办结率（%）")),
            rx.grid(panel("satisfaction", bar_chart("satisfaction", "aspect",
                                                    [rx.recharts.bar(data_key="rate", name="满意率（%）",
                                                                     fill=COLORS["rate"], is_animation_active=False)],
                                                    percent=True)),
                    panel("defects", bar_chart("defects", "quarter",
                                               [rx.recharts.bar(data_key="rate", name="瑕疵及错误率（%）",
                                                                fill=COLORS["refused"], is_animation_active=False)],
                                               percent=True)),
                    columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"),
        ),
    )
