import os

import reflex as rx

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=os.environ.get("REFLEX_DB_URL"),
    cors_allowed_origins=[os.environ.get("APP_ORIGIN", "http://localhost:3000").rstrip("/")],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="red", radius="small")),
             rx.plugins.SitemapPlugin()],
)
