"""The 404 page (Reflex serves the page registered at route "404" for every unknown path)."""

import reflex as rx

from app.components.layout import page


@rx.page(route="404", title="页面不存在 · 独立审批系统")
def not_found() -> rx.Component:
    return page(
        "页面不存在",
        rx.vstack(
            rx.text("404", size="9", weight="bold", color="#c8161d"),
            rx.text("您访问的页面不存在，可能是地址输入有误，或该页面已调整。", size="4", id="not-found"),
            rx.hstack(rx.link(rx.button("返回首页"), href="/"),
                      rx.link(rx.button("决定书核验", variant="soft"), href="/verify"), spacing="3"),
            spacing="4", padding_y="48px", align="start"),
    )
