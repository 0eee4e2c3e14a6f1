import reflex as rx

from app.components.layout import page
from app.state.auth import AuthState


@rx.page(route="/", title="登录 · 独立审批系统", on_load=AuthState.page_loaded)
def signin() -> rx.Component:
    return page(
        "安全密钥登录",
        rx.text("本系统不使用密码：输入工号，插入本人安全密钥，输入 PIN 并触碰即可登录。"),
        rx.form(
            rx.hstack(
                rx.input(name="staff_no", placeholder="工号", id="staff-no", required=True, max_length=32),
                rx.button("使用安全密钥登录", type="submit", loading=AuthState.busy, id="sign-in"),
            ),
            on_submit=AuthState.begin_sign_in, reset_on_submit=False,
        ),
    )
