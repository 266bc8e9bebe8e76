"""The admin dashboard: NiceGUI pages on FastAPI, reading the PostgreSQL mirror directly.

Its database connection is read-only (``default_transaction_read_only``); writes go through
central's API and merge path, never from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI
from nicegui import ui
from sqlalchemy import Engine, create_engine

from web_admin import queries

COLUMNS = [
    {"name": "started", "label": "Started", "field": "started", "align": "left"},
    {"name": "install", "label": "Install", "field": "install", "align": "left"},
    {"name": "username", "label": "User", "field": "username", "align": "left"},
    {"name": "tool", "label": "Tool", "field": "tool", "align": "left"},
    {"name": "function", "label": "Function", "field": "function", "align": "left"},
    {"name": "status", "label": "Status", "field": "status", "align": "left"},
    {"name": "duration", "label": "Duration (s)", "field": "duration", "align": "right"},
    {"name": "rows_in", "label": "Rows in", "field": "rows_in", "align": "right"},
    {"name": "id", "label": "Operation", "field": "id", "align": "left"},
]


def read_only_engine(url: str) -> Engine:
    """``url`` is a SQLAlchemy URL with its driver (the CLI normalises what the user gave)."""
    return create_engine(
        url, pool_pre_ping=True, connect_args={"options": "-c default_transaction_read_only=on"}
    )


def _displayable(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat(sep=" ", timespec="seconds") if isinstance(v, datetime) else v)
        for k, v in row.items()
    }


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="LocaNext admin")

    def operations(limit: int) -> list[dict[str, Any]]:
        with engine.connect() as conn:
            return [_displayable(r) for r in queries.recent_operations(conn, limit)]

    @app.get("/api/operations")
    def api_operations(limit: int = 200) -> list[dict[str, Any]]:
        return operations(min(max(limit, 1), 5000))

    @ui.page("/")
    def home() -> None:
        with ui.header().classes("items-center"):
            ui.label("LocaNext admin").classes("text-h6")
        with ui.column().classes("w-full p-4"):
            count = ui.label().props("data-testid=operation-count")
            table = ui.table(columns=COLUMNS, rows=[], row_key="id").classes("w-full")
            table.props("data-testid=operations")

        def refresh() -> None:
            rows = operations(500)
            table.rows = rows
            table.update()
            count.set_text(f"{len(rows)} most recent operations across all installs")

        refresh()
        ui.timer(3.0, refresh)

    ui.run_with(app, title="LocaNext admin", show_welcome_message=False)
    return app
