"""The Reflex app: pages only; rules live in app.rules, documents and keys in app.signing."""

import reflex as rx

import app.pages  # noqa: F401  (registers every page)
from app.http import security_layer
from app.rules import decisions
from app.signing import renderer

app = rx.App(html_lang="zh-CN", api_transformer=security_layer)
# Start the PDF renderer process (and pay WeasyPrint's import) before the first decision.
app.register_lifespan_task(lambda: renderer.warm_up())
# A process killed between writing a PDF and committing its row left a file no row names.
app.register_lifespan_task(lambda: decisions.quarantine_orphan_pdfs())
