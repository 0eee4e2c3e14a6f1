"""The Reflex app: pages only; rules live in app.rules, documents and keys in app.signing."""

import asyncio
import logging
import traceback

import reflex as rx

import app.pages  # noqa: F401  (registers every page)
from app.http import security_layer
from app.rules.supervision import checkpoints
from app.rules.counter import decisions
from app.signing import renderer

log = logging.getLogger(__name__)
CHECKPOINT_POLL_SECONDS = 300


def backend_error(exception: Exception):
    """An event that failed outside the rules' refusals (which handlers show themselves), e.g. the
    tab state unreachable while Redis is down: logged in full, told to the officer in Chinese
    (Reflex's default says "An error occurred." in English)."""
    from redis.exceptions import RedisError
    from reflex_components_sonner.toast import toast

    log.error("[Reflex Backend Exception]\n %s", "".join(traceback.format_exception(exception)))
    if isinstance(exception, RedisError):
        title, text = "会话服务暂时无法连接", "此次操作可能未执行。请稍后刷新页面核对后重试；已保存的办件和决定不受影响。"
    else:
        title, text = "操作未完成", "系统内部错误，此次操作可能未完成。请刷新页面核对后重试，仍不成功请联系系统管理员。"
    return toast(title, level="error", fallback_to_alert=True, description=text, position="top-center",
                 id="backend_error", style={"width": "500px", "white-space": "pre-wrap"})


app = rx.App(
    html_lang="zh-CN", api_transformer=security_layer, backend_exception_handler=backend_error,
    stylesheets=["app.css"],  # assets/app.css: CJK fonts, tables, calendar, print
    head_components=[rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
                     rx.el.link(rel="alternate icon", href="/favicon.ico", sizes="48x48")],
)
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
