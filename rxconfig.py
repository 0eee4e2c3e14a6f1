import os

import reflex as rx

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    db_url=os.environ.get("REFLEX_DB_URL"),
    # Tab state never goes to disk (Reflex's default pickles it into .states/): in this process's
    # memory with one worker, in Redis when several workers share it.
    state_manager_mode="redis" if os.environ.get("REFLEX_REDIS_URL") else "memory",
    cors_allowed_origins=[os.environ.get("APP_ORIGIN", "http://localhost:3000").rstrip("/")],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="red", radius="small")),
             rx.plugins.SitemapPlugin()],
)
