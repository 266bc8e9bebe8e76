"""The desktop app's pages (NiceGUI mounted on the engine's FastAPI app): home (recent runs),
Apps (``/tools``: run a tool as a task) and Tasks (``/tasks``: running tasks and history).

NiceGUI keeps its page registry per process, so one engine app with pages exists per process.
"""

from __future__ import annotations

from fastapi import FastAPI
from nicegui import ui

from engine.context import EngineContext
from engine.ui import (
    announcements_page,
    dictionaries_page,
    glossary_page,
    results_page,
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

    @ui.page("/")
    def home() -> None:
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

    tools_page.mount(ctx)
    tasks_page.mount(ctx)
    glossary_page.mount(ctx)
    announcements_page.mount(ctx)
    dictionaries_page.mount(ctx)
    results_page.mount(ctx)
    ui.run_with(app, title="LocaNext", show_welcome_message=False, reconnect_timeout=10.0)
