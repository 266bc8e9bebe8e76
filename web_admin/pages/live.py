"""Live: runs and events from every install appear as central merges them. The page reads only
when central signals a merge (never on a timer); paused, it counts the merges it has not shown."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import background_tasks, run, ui

from web_admin import live
from web_admin.frame import Console, Seen, enter, header, url

COLUMNS = [
    {"name": k, "label": label, "field": k, "align": "left"}
    for k, label in (
        ("at", "Time"),
        ("kind", "Kind"),
        ("install", "Install"),
        ("who", "User"),
        ("what", "What"),
        ("state", "Status / level"),
        ("detail", "Error / message"),
    )
]


def _shown(seen: Seen, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r | {"at": seen.when(r["at"])} for r in rows]


def register(console: Console) -> None:
    @ui.page("/live")
    async def live_page(
        request: Request, install: str = "", user: str = "", tool: str = "", level: str = ""
    ) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Live")
        filters = {"install": install, "user": user, "tool": tool, "level": level}

        def load() -> list[dict[str, Any]]:
            with console.engine.connect() as conn:
                return live.latest(conn, filters)

        inputs = {}
        with ui.row().classes("items-end gap-2"):
            for name in live.FILTERS:
                inputs[name] = ui.input(name.title(), value=filters[name]).props(
                    f"dense outlined clearable data-testid=filter-{name}"
                )

            def apply() -> None:
                ui.navigate.to(url("/live", {k: v.value for k, v in inputs.items() if v.value}))

            ui.button("Apply", on_click=apply).props("data-testid=apply")
            pause = ui.switch("Paused").props("data-testid=pause")
        status = ui.label("Live: new runs and events appear as installs sync.").props(
            "data-testid=live-status"
        )
        table = ui.table(
            columns=COLUMNS, rows=_shown(seen, await run.io_bound(load)), row_key="key"
        )
        table.props("dense flat data-testid=feed :rows-per-page-options=[0] hide-pagination")
        table.classes("w-full")
        state = {"busy": False, "again": False, "missed": 0}

        async def refresh() -> None:
            if state["busy"]:  # merges while reading: one more read afterwards covers them all
                state["again"] = True
                return
            state["busy"] = True
            try:
                while True:
                    state["again"] = False
                    table.rows = _shown(seen, await run.io_bound(load))
                    table.update()
                    if not state["again"]:
                        break
            finally:
                state["busy"] = False

        def merged() -> None:
            if pause.value:
                state["missed"] += 1
                status.set_text(f"Paused: {state['missed']} merges not shown yet.")
                return
            background_tasks.create(refresh(), name="live refresh")

        def toggled() -> None:
            if pause.value:
                status.set_text("Paused: new merges are counted, not shown.")
                return
            state["missed"] = 0
            status.set_text("Live: new runs and events appear as installs sync.")
            background_tasks.create(refresh(), name="live refresh")

        pause.on_value_change(toggled)
        unsubscribe = console.signal.subscribe(merged)
        ui.context.client.on_delete(unsubscribe)
        return None
