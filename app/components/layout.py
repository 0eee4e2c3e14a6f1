"""Page frame: organ name, navigation by role, the signed-in officer, messages."""

import reflex as rx

from app.config import settings
from app.rules.roles import ROLE_NAMES
from app.state.auth import AuthState

NAV = (("approver", "/counter", "审批窗口"), ("admin", "/catalog", "事项清单"), ("admin", "/roster", "人员与密钥"),
       ("admin", "/calendar", "节假日"), ("admin", "/cases", "办件监督"), ("admin", "/publicity", "双公示"),
       ("auditor", "/spotchecks", "季度抽查"),
       ("auditor", "/audits", "评查"))


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(AuthState.error != "",
                rx.callout(AuthState.error, icon="triangle_alert", color_scheme="red", id="error", width="100%")),
        rx.cond(AuthState.notice != "",
                rx.callout(AuthState.notice, icon="circle_check", color_scheme="green", id="notice", width="100%")),
    )


def header() -> rx.Component:
    return rx.hstack(
        rx.heading(f"{settings.organ_name} · 独立审批系统", size="4"),
        rx.spacer(),
        *[rx.cond(AuthState.roles.contains(role), rx.link(label, href=href)) for role, href, label in NAV],
        rx.cond(AuthState.signed_in,
                rx.hstack(rx.text(AuthState.officer_name, "（", AuthState.staff_no, "）", size="2"),
                          rx.button("退出", on_click=AuthState.sign_out, variant="soft", size="1", id="sign-out"),
                          align="center")),
        width="100%", padding="12px 24px", border_bottom="1px solid var(--gray-5)", align="center", spacing="4",
    )


def page(title: str, *children: rx.Component) -> rx.Component:
    return rx.box(
        header(),
        rx.vstack(rx.heading(title, size="6"), messages(), *children,
                  padding="24px", spacing="4", max_width="1200px", margin="0 auto", width="100%"),
    )


def for_role(role: str, *children: rx.Component) -> rx.Component:
    """Render only for a signed-in officer with the role. Presentation only: the server checks
    the session and the role again in every handler."""
    return rx.cond(
        ~AuthState.signed_in, rx.link("请先使用安全密钥登录", href="/"),
        rx.cond(AuthState.roles.contains(role), rx.fragment(*children),
                rx.text(f"无权访问：此页面仅限{ROLE_NAMES[role]}使用。", id="denied", color="red")))


def pager(state) -> rx.Component:
    """Previous / next for a state with page_no, pages, total and a go_page(str) handler."""
    return rx.hstack(
        rx.button("上一页", size="1", variant="soft", disabled=state.page_no <= 1,
                  on_click=state.go_page((state.page_no - 1).to_string())),
        rx.text("第 ", state.page_no, " / ", state.pages, " 页，共 ", state.total, " 条", size="2"),
        rx.button("下一页", size="1", variant="soft", disabled=state.page_no >= state.pages,
                  on_click=state.go_page((state.page_no + 1).to_string())),
        align="center")


def field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="bold"), control, spacing="1", width="auto")


def select_box(name: str, options, value_key: str, label_key: str, first: str = "",
               default_value=None, **props) -> rx.Component:
    """A native select over a list-of-dicts state var (works in forms and with Playwright)."""
    return rx.el.select(
        *([rx.el.option(first, value="")] if first else []),
        rx.foreach(options, lambda o: rx.el.option(o[label_key], value=o[value_key])),
        name=name, default_value=default_value, style={"padding": "6px", "min_width": "8em"}, **props)
