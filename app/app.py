"""The Reflex app: pages only; rules live in app.rules, documents and keys in app.signing."""

import asyncio
import logging

import reflex as rx

import app.pages  # noqa: F401  (registers every page)
from app.http import security_layer
from app.rules import checkpoints, decisions
from app.signing import renderer

log = logging.getLogger(__name__)
CHECKPOINT_POLL_SECONDS = 300

app = rx.App(html_lang="zh-CN", api_transformer=security_layer)
# Start the PDF renderer process (and pay WeasyPrint's import) before the first decision.
app.register_lifespan_task(lambda: renderer.warm_up())
# A process killed between writing a PDF and committing its row left a file no row names.
app.register_lifespan_task(lambda: decisions.quarantine_orphan_pdfs())
# Drafts of decisions never signed, a day old (renderings, not records).
app.register_lifespan_task(lambda: decisions.prune_drafts())


async def sign_audit_checkpoints() -> None:
    """Every few minutes: a signed checkpoint when the newest is an hour old and the log grew (every
    1,000 events one is signed with the event itself). Several workers may poll: the chain lock and
    the age test let only one sign."""
    while True:
        await asyncio.sleep(CHECKPOINT_POLL_SECONDS)
        try:
            await asyncio.to_thread(checkpoints.hourly)
        except Exception:  # noqa: BLE001 — a failed checkpoint must not stop the next one
            log.exception("audit checkpoint failed")


app.register_lifespan_task(sign_audit_checkpoints)
