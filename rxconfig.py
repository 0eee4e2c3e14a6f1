import os
import reflex as rx

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    db_url=os.environ.get("REFLEX_DB_URL"),
    plugins=[rx.plugins.SitemapPlugin()],
)
