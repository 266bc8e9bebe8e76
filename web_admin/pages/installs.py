"""Installs: one row per machine with its sync health in a word and the reason, revoke and
restore; and each install's detail with its timeline of runs and events."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from web_admin import fleet
from web_admin.actions import Refused, call, read_only_note, write_button
from web_admin.frame import Console, Seen, enter, header, now_utc, problem, url

COLOURS = {
    "healthy": "positive",
    "behind": "warning",
    "refusing": "negative",
    "revoked": "grey-8",
    "stale": "grey",
    "not enrolled": "grey",
}
COLUMNS = (
    ("name", "Name"),
    ("username", "User"),
    ("os", "OS"),
    ("app_version", "Version"),
    ("enrolled", "Enrolled"),
    ("last_push", "Last push"),
    ("last_pull", "Last pull"),
    ("watermark", "Watermark"),
    ("parked", "Parked"),
    ("refusal", "Last refusal"),
)


def _load(console: Console) -> list[dict[str, Any]]:
    with console.engine.connect() as conn:
        return fleet.installs(conn, now_utc())


def _revoke_buttons(console: Console, seen: Seen, row: dict[str, Any]) -> None:
    if row["enrolled"] is None:
        return
    revoked = row["revoked"] is not None
    action = "restore" if revoked else "revoke"

    async def act() -> None:
        try:
            await call(console, seen, "POST", f"/api/admin/installs/{row['id']}/{action}")
        except Refused:
            return
        ui.navigate.reload()

    write_button(seen, action.title(), act, f"{action}-{row['id']}", flat="")


def _badge(row: dict[str, Any]) -> None:
    ui.badge(row["state"], color=COLOURS[row["state"]]).props(
        f"data-testid=install-state-{row['id']}"
    ).tooltip(row["reason"])


def register(console: Console) -> None:
    @ui.page("/installs")
    async def installs_page(request: Request, state: str = "") -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Installs")
        read_only_note(seen)
        rows = await run.io_bound(_load, console)
        with ui.row().classes("items-center gap-2"):
            ui.label("State:")
            for choice in ("", *fleet.STATES):
                link = ui.link(
                    choice or "all", url("/installs", {"state": choice} if choice else {})
                )
                link.classes("text-weight-bold" if choice == state else "")
        shown = [r for r in rows if not state or r["state"] == state]
        if not shown:
            ui.label(
                "No installs here yet. An install appears once a translator enrolls it "
                "(`locanext enroll`) and it syncs."
            ).classes("text-grey-7").props("data-testid=empty")
        with ui.grid(columns=len(COLUMNS) + 2).classes("w-full gap-x-3 gap-y-1 items-center"):
            for _, label in (*COLUMNS, ("", "State"), ("", "")):
                ui.label(label).classes("text-weight-bold")
            for row in shown:
                ui.link(row["name"] or row["id"][:12], f"/installs/{row['id']}")
                for key, _ in COLUMNS[1:]:
                    value = row.get(key)
                    if key == "refusal":
                        value = (
                            f"{row['last_refusal_code']} at {seen.when(row['last_refusal_at'])}"
                            if row["last_refusal_code"]
                            else ""
                        )
                    elif hasattr(value, "astimezone"):
                        value = seen.when(value)
                    ui.label("" if value is None else str(value))
                _badge(row)
                with ui.row():
                    _revoke_buttons(console, seen, row)
        return None

    @ui.page("/installs/{install_id}")
    async def install_page(request: Request, install_id: str) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        found = await run.io_bound(_detail, console, install_id)
        header(seen, "Install")
        if found is None:
            problem(f"No install {install_id!r}.")
            return None
        row, events = found
        with ui.row().classes("items-center gap-4"):
            ui.label(row["name"] or install_id).classes("text-h6")
            _badge(row)
            ui.label(row["reason"])
            _revoke_buttons(console, seen, row)
        with ui.grid(columns=2).classes("gap-x-4"):
            for key, label in (("id", "Install id"), *COLUMNS[1:9]):
                value = row.get(key)
                ui.label(label).classes("text-weight-bold")
                ui.label(seen.when(value) if hasattr(value, "astimezone") else str(value or ""))
        ui.link("Its runs", url("/activity", {"install": install_id}))
        ui.link("Its logs", url("/logs", {"install": install_id}))
        ui.label("Timeline").classes("text-h6")
        ui.table(
            columns=[
                {"name": k, "label": k.title(), "field": k, "align": "left"}
                for k in ("at", "kind", "what", "detail")
            ],
            rows=[e | {"at": seen.when(e["at"]), "key": n} for n, e in enumerate(events)],
            row_key="key",
        ).props("dense flat data-testid=timeline").classes("w-full")
        return None


def _detail(console: Console, install_id: str) -> tuple[Any, Any] | None:
    with console.engine.connect() as conn:
        row = fleet.install(conn, install_id, now_utc())
        return None if row is None else (row, fleet.timeline(conn, install_id))
