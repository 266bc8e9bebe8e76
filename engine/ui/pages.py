"""The desktop app's pages (NiceGUI mounted on the engine's FastAPI app).

NiceGUI keeps its page registry per process, so one engine app with pages exists per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI
from nicegui import ui

if TYPE_CHECKING:
    from engine.app import EngineContext

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


def _sync_text(ctx: EngineContext) -> tuple[str, str]:
    s = ctx.sync_status()
    if not s.enrolled:
        return "Not enrolled", "grey"
    state = "Online" if s.online else "Offline"
    last = s.last_success or "never"
    return f"{state} · {s.pending_changes} changes waiting · last sync {last}", (
        "positive" if s.online else "warning"
    )


def mount(app: FastAPI, ctx: EngineContext) -> None:
    @ui.page("/")
    def home() -> None:
        with ui.header().classes("items-center justify-between"):
            ui.label("LocaNext").classes("text-h6")
            sync_badge = ui.badge("", color="grey").props("data-testid=sync-status")
        with ui.column().classes("w-full p-4"):
            ui.label("Recent operations").classes("text-h6")
            table = ui.table(columns=OPERATION_COLUMNS, rows=[], row_key="id").classes("w-full")
            table.props("data-testid=operations")

        def refresh() -> None:
            text, color = _sync_text(ctx)
            sync_badge.set_text(text)
            sync_badge.props(f"color={color}")
            table.rows = ctx.operations.recent(100)
            table.update()

        refresh()
        ui.timer(2.0, refresh)

    ui.run_with(app, title="LocaNext", show_welcome_message=False, reconnect_timeout=10.0)
