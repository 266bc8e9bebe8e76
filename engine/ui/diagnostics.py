"""Errors of the pages become events for the admins (``engine.telemetry``, component ``ui``):
exceptions in the pages' Python handlers, and JavaScript errors and rejected promises in the
browser, which a small script reports to the engine over the page's own connection."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from nicegui import app, ui
from nicegui.events import GenericEventArguments

from engine import telemetry
from engine.context import EngineContext
from engine.telemetry import Level

log = logging.getLogger(__name__)

EVENT = "locanext_ui_error"
# A page in a loop of errors reports this many, then stays quiet until it is reloaded.
PER_PAGE = 10

# In every page's head: report what the browser would otherwise only print to its console.
SCRIPT = f"""<script>
(() => {{
  const report = (kind, message, where, stack) => {{
    try {{
      emitEvent("{EVENT}", {{kind, message: String(message).slice(0, 500),
        where: String(where || "").slice(0, 300), stack: String(stack || "").slice(0, 2000),
        page: location.pathname}});
    }} catch (e) {{ /* the page is not connected yet: nothing to report to */ }}
  }};
  window.addEventListener("error", (e) => report(
    "error", e.message, `${{e.filename}}:${{e.lineno}}:${{e.colno}}`, e.error && e.error.stack));
  window.addEventListener("unhandledrejection", (e) => report(
    "unhandledrejection", (e.reason && e.reason.message) || e.reason, "",
    e.reason && e.reason.stack));
}})();
</script>"""


def install(ctx: EngineContext) -> None:
    """Once per process: the script in every page, and Python exceptions of every page."""
    ui.add_head_html(SCRIPT, shared=True)

    def python_error(exc: Exception) -> None:
        text = "".join(traceback.format_exception(exc))
        _record(ctx, str(exc) or type(exc).__name__, {"traceback": telemetry.digest(text)})

    app.on_exception(python_error)


def listen(ctx: EngineContext) -> None:
    """On the current page: record the errors its script reports (at most :data:`PER_PAGE`)."""
    seen = {"count": 0}

    def browser_error(event: GenericEventArguments) -> None:
        seen["count"] += 1
        if seen["count"] > PER_PAGE:
            return
        args: dict[str, Any] = event.args if isinstance(event.args, dict) else {}
        message = str(args.get("message") or "a script error")
        data = {k: str(args.get(k, ""))[:2000] for k in ("kind", "where", "page", "stack")}
        _record(ctx, message, data)

    ui.on(EVENT, browser_error)


def _record(ctx: EngineContext, message: str, data: dict[str, Any]) -> None:
    try:
        with ctx.db.write() as conn:
            telemetry.record(conn, Level.ERROR, "ui", message, data)
    except Exception:  # reporting an error must never raise one
        log.exception("could not record a page error")
