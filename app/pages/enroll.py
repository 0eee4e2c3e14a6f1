import reflex as rx

from app.state.auth import AuthState

from app.components.layout import page
from app.state.enroll import EnrollState


@rx.page(route="/enroll", title="注册管理员密钥 · 独立审批系统", on_load=[AuthState.page_loaded, EnrollState.load])
def enroll() -> rx.Component:
    return page(
        "注册首位管理员的安全密钥",
        rx.text("此链接只能使用一次。注册时需设置或输入密钥 PIN。"),
        rx.cond(EnrollState.enrolled,
                rx.link("前往登录", href="/", id="to-sign-in"),
                rx.button("注册安全密钥", on_click=EnrollState.begin, loading=EnrollState.busy, id="enroll")),
    )
