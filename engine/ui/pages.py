"""The desktop app's pages (NiceGUI mounted on the engine's FastAPI app): home (recent runs; the
sign-in page instead until someone signs in or chooses to work offline), Apps (``/tools``: run a
tool as a task), Tasks (``/tasks``: running tasks and history), sign-in and account
(``/signin``, ``/account``), settings (``/settings``) and the sync log (``/sync-log``).

NiceGUI keeps its page registry per process, so one engine app with pages exists per process.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from nicegui import ui

from engine.context import EngineContext
from engine.ui import (
    account_page,
    announcements_page,
    diagnostics,
    dictionaries_page,
    glossary_page,
    results_page,
    settings_page,
    sync_log_page,
    tasks_page,
    theme,
    tools_page,
)
from engine.ui.layout import header

OPERATION_COLUMNS = [
    {"name": "started", "label": "Started", "field": "started", "sortable": True, "align": "left"},
    {"name": "tool", "label": "Tool", "field": "tool", "align": "left"},
    {"name": "function", "label": "Function", "field": "function", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "duration", "label": "Duration (s)", "field": "duration", "align": "right"},
    {"name": "rows_in", "label": "Rows in", "field": "rows_in", "align": "right"},
    {"name": "username", "label": "User", "field": "username", "align": "left"},
    {"name": "error", "label": "Error", "field": "error", "align": "left"},
]


def mount(app: FastAPI, ctx: EngineContext) -> None:
    ui.add_head_html(f"<style>{theme.CSS}</style>", shared=True)
    diagnostics.install(ctx)

    @ui.page("/")
    def home() -> RedirectResponse | None:
        if ctx.account_state().asks_to_sign_in:  # first start, or signed out
            return RedirectResponse("/signin")
        header(ctx, "/")
        with ui.column().classes("w-full p-4"):
            with ui.row().classes("items-center gap-4"):
                ui.label("Recent operations").classes("text-h6")
                ui.link("Run a tool", "/tools").props("data-testid=home-run-tool")
            table = ui.table(columns=OPERATION_COLUMNS, rows=[], row_key="id").classes("w-full")
            table.props(
                "data-testid=operations no-data-label='No runs yet: run a tool from Apps; every "
                "run on this PC is listed here.'"
            )

        def refresh() -> None:
            table.rows = ctx.operations.recent(100)
            table.update()

        refresh()
        ui.timer(2.0, refresh)
        return None

    tools_page.mount(ctx)
    tasks_page.mount(ctx)
    account_page.mount(ctx)
    settings_page.mount(ctx)
    sync_log_page.mount(ctx)
    glossary_page.mount(ctx)
    announcements_page.mount(ctx)
    dictionaries_page.mount(ctx)
    results_page.mount(ctx)
    ui.run_with(app, title="LocaNext", show_welcome_message=False, reconnect_timeout=10.0)
