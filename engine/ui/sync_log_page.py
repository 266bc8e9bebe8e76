"""The sync log (``/sync-log``): the latest sync rounds, newest first, with their time, what they
sent and fetched, how long they took and their error. Rounds that ended alike (nothing to do,
or the same failure) share a row that says how many there were."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nicegui import ui

from engine import sync_state
from engine.context import EngineContext
from engine.sync_state import FailureKind, LoggedRound
from engine.ui.layout import FAILURE_BADGES, header

COLUMNS = [
    {"name": "time", "label": "Time", "field": "time", "align": "left"},
    {"name": "ago", "label": "", "field": "ago", "align": "left"},
    {"name": "result", "label": "Result", "field": "result", "align": "left"},
    {"name": "pushed", "label": "Sent", "field": "pushed", "align": "right"},
    {"name": "pulled", "label": "Fetched", "field": "pulled", "align": "right"},
    {"name": "duration", "label": "Duration", "field": "duration", "align": "right"},
    {"name": "rounds", "label": "Rounds", "field": "rounds", "align": "right"},
    {"name": "error", "label": "Error", "field": "error", "align": "left"},
]


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def local_time(stamp: str) -> str:
    """A stored UTC time in this PC's zone (the viewer's: the app runs where it is shown)."""
    return _parse(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def ago(stamp: str, now: datetime | None = None) -> str:
    seconds = int(((now or datetime.now(UTC)) - _parse(stamp)).total_seconds())
    if seconds < 60:
        return "just now" if seconds < 5 else f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _result(row: LoggedRound) -> str:
    if row.error_kind is None:
        return "OK" if row.pushed or row.pulled else "OK, nothing to do"
    try:
        label = FAILURE_BADGES[FailureKind(row.error_kind)][0]
    except (KeyError, ValueError):
        label = row.error_kind
    return f"{label} ({row.error_code})" if row.error_code else label


def rows(log: list[LoggedRound]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "id": r.id,
            "time": local_time(r.ended)
            if r.rounds == 1
            else f"{local_time(r.started)} – {local_time(r.ended)[11:]}",
            "ago": ago(r.ended, now),
            "result": _result(r),
            "pushed": "" if r.pushed is None else r.pushed,
            "pulled": "" if r.pulled is None else r.pulled,
            "duration": f"{r.duration:.2f} s",
            "rounds": r.rounds,
            "error": r.error or "",
        }
        for r in log
    ]


def mount(ctx: EngineContext) -> None:
    @ui.page("/sync-log")
    def sync_log_page() -> None:
        header(ctx)
        with ui.column().classes("w-full q-pa-md gap-2"):
            with ui.row().classes("items-center gap-4"):
                ui.label("Sync log").classes("text-h5")
                ui.label(f"the latest {sync_state.LOG_ROWS} rounds, newest first").classes(
                    "text-caption text-grey-7"
                )
            empty = ui.column().props("data-testid=sync-log-empty")
            with empty:
                ui.label("No sync rounds yet.").classes("text-h6")
                ui.label(
                    "Rounds appear here once this PC is signed in to central: each one sends "
                    "your changes and fetches the team's."
                )
                ui.link("Sign in", "/signin")
            table = ui.table(columns=COLUMNS, rows=[], row_key="id").classes("w-full")
            table.props("data-testid=sync-log flat bordered wrap-cells")

        def refresh() -> None:
            with ctx.db.read() as conn:
                log = sync_state.sync_log(conn)
            empty.set_visibility(not log)
            table.set_visibility(bool(log))
            table.rows = rows(log)
            table.update()

        refresh()
        ui.timer(2.0, refresh)
