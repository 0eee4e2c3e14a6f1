"""Page frame: the bureau's emblem and name, navigation by role, the signed-in officer, messages."""

import reflex as rx

from app.config import settings
from app.rules.people.roles import ROLE_NAMES
from app.state.auth import AuthState

NAV = (("approver", "/counter", "审批窗口"), ("admin", "/catalog", "事项清单"), ("admin", "/roster", "人员与密钥"),
       ("admin", "/calendar", "节假日"), ("admin", "/cases", "办件监督"), ("admin", "/publicity", "双公示"),
       ("admin", "/settings", "系统设置"), ("approver", "/rectifications", "抽查整改"),
       ("auditor", "/audits", "评查"), ("auditor", "/spotchecks", "季度抽查"), ("auditor", "/visits", "回访"),
       ("admin", "/assessments", "年度考核"), ("auditor", "/dashboard", "统计"))
SYSTEM_NAME = "独立审批系统"


def messages(suffix: str = "") -> rx.Component:
    """The current refusal and notice. `suffix` gives a second copy (inside a dialog) its own ids."""
    return rx.fragment(
        rx.cond(AuthState.error != "",
                rx.callout(AuthState.error, icon="triangle_alert", color_scheme="red", id="error" + suffix,
                           width="100%")),
        rx.cond(AuthState.notice != "",
                rx.callout(AuthState.notice, icon="circle_check", color_scheme="green", id="notice" + suffix,
                           width="100%")),
    )


def brand(subtitle: str = SYSTEM_NAME, href: str | None = "/") -> rx.Component:
    """The emblem and the organ's name (the public /verify page shows it too)."""
    mark = rx.hstack(
        rx.image(src="/emblem.svg", alt="", width="40px", height="40px", flex_shrink="0"),
        rx.vstack(rx.text(settings.organ_name, size="4", weight="bold", class_name="brand-name"),
                  rx.text(subtitle, size="1", color="gray", class_name="brand-name"), spacing="0"),
        align="center", spacing="3", id="brand")
    return rx.link(mark, href=href, class_name="brand", underline="none") if href else mark


def header(active: str = "") -> rx.Component:
    return rx.el.header(rx.hstack(
        brand(),
        rx.spacer(),
        rx.hstack(*[rx.cond(AuthState.roles.contains(role),
                            rx.link(label, href=href, class_name="active" if href == active else "",
                                    underline="none", size="2"))
                    for role, href, label in NAV],
                  spacing="4", align="center", class_name="app-nav", id="nav"),
        rx.cond(AuthState.signed_in,
                rx.hstack(rx.text(AuthState.officer_name, "（", AuthState.staff_no, "）", size="2"),
                          rx.button("退出", on_click=AuthState.sign_out, variant="soft", size="1", id="sign-out"),
                          align="center", class_name="app-user")),
        width="100%", max_width="1280px", margin="0 auto", padding="10px 24px", align="center", spacing="5"),
        class_name="app-header")


def page(title: str, *children: rx.Component, active: str = "") -> rx.Component:
    return rx.box(
        header(active),
        rx.vstack(rx.heading(title, size="6", class_name="no-print"), messages(), *children,
                  padding="24px", spacing="4", max_width="1280px", margin="0 auto", width="100%",
                  class_name="page-main"),
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
        rx.text("第 ", state.page_no, " / ", state.pages, " 页，共 ", state.total, " 条", size="2", class_name="nowrap"),
        rx.button("下一页", size="1", variant="soft", disabled=state.page_no >= state.pages,
                  on_click=state.go_page((state.page_no + 1).to_string())),
        align="center", class_name="no-print")


def field(label: str, control: rx.Component, for_id: str | None = None, **props) -> rx.Component:
    """A label over its control; with `for_id` (the control's id) the label is tied to it."""
    text = (rx.el.label(label, html_for=for_id, class_name="field-label") if for_id
            else rx.text(label, size="2", weight="bold"))
    return rx.vstack(text, control, spacing="1", **({"width": "auto"} | props))

