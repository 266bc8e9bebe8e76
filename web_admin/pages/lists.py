"""The Activity (operations) and Logs (events) pages: filters as inputs and chips whose values
live in the URL, a sort, keyset pages, a detail panel, and export links of exactly this view."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from sqlalchemy import Engine

from web_admin import listing
from web_admin.frame import Console, Seen, enter, header, problem, url


@dataclass(frozen=True)
class ListPage:
    path: str
    title: str
    listing: listing.Listing
    columns: tuple[tuple[str, str], ...]  # (field, label) shown in the table
    empty: str
    sort_labels: dict[str, str]


ACTIVITY = ListPage(
    "/activity",
    "Activity",
    listing.OPERATIONS,
    (
        ("started", "Started"),
        ("install", "Install"),
        ("username", "User"),
        ("tool", "Tool"),
        ("function", "Function"),
        ("status", "Status"),
        ("duration", "Duration (s)"),
        ("rows_in", "Rows in"),
        ("rows_out", "Rows out"),
    ),
    "No tool runs match. Runs appear here when installs sync; clear a filter to see more.",
    {"started": "Started", "duration": "Duration"},
)
LOGS = ListPage(
    "/logs",
    "Logs",
    listing.EVENTS,
    (
        ("time", "Time"),
        ("install", "Install"),
        ("level", "Level"),
        ("component", "Component"),
        ("message", "Message"),
    ),
    "No log events match. Installs send their logs when they sync; clear a filter to see more.",
    {"time": "Time"},
)


def _fetch(engine: Engine, query: listing.Query) -> listing.Page:
    with engine.connect() as conn:
        return listing.page(conn, query)


def _shown(seen: Seen, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("started", "finished", "time"):
            out[key] = seen.when(value)
        elif key == "duration" and value is not None:
            out[key] = round(value, 3)
        elif isinstance(value, dict | list):
            out[key] = json.dumps(value, ensure_ascii=False)
        else:
            out[key] = "" if value is None else value
    if not out.get("install"):
        out["install"] = (row.get("install_id") or "")[:12]
    return out


def _detail(panel: ui.column, seen: Seen, row: dict[str, Any]) -> None:
    panel.clear()
    with panel:
        ui.label("Details").classes("text-h6")
        for key, value in row.items():
            if value is None or value == "":
                continue
            if hasattr(value, "isoformat"):
                value = f"{seen.when(value)} ({value.isoformat()})"
            elif isinstance(value, dict | list):
                value = json.dumps(value, ensure_ascii=False, indent=1)
            with ui.row().classes("w-full no-wrap gap-2"):
                ui.label(key).classes("text-weight-bold w-28 shrink-0")
                ui.label(str(value)).classes("break-all whitespace-pre-wrap").props(
                    f"data-testid=detail-{key}"
                )
    panel.set_visibility(True)


async def show(console: Console, request: Request, spec: ListPage) -> RedirectResponse | None:
    seen = await enter(console, request)
    if isinstance(seen, RedirectResponse):
        return seen
    header(seen, spec.title)
    try:
        query = listing.parse(spec.listing, request.query_params)
    except listing.BadFilter as exc:
        problem(f"This view's address has a filter that cannot be used: {exc}")
        ui.link("Show the list without filters", spec.path)
        return None
    found = await run.io_bound(_fetch, console.engine, query)
    params = query.params()

    def go(**changes: str | None) -> None:
        ui.navigate.to(url(spec.path, query.params(after=None, **changes)))

    inputs: dict[str, ui.input] = {}

    def apply() -> None:
        wanted = {name: (box.value or "").strip() or None for name, box in inputs.items()}
        go(sort=sort.value, **wanted)

    with ui.row().classes("items-end gap-2 w-full"):
        for f in spec.listing.filters:
            hint = "YYYY-MM-DD" if f.name in ("since", "until") else ""
            box = ui.input(f.label, value=query.values.get(f.name, ""), placeholder=hint)
            box.props(f"dense outlined clearable data-testid=filter-{f.name}").classes("w-36")
            box.on("keydown.enter", apply)
            inputs[f.name] = box
        options = {}
        for key, label in spec.sort_labels.items():
            options[f"-{key}"] = f"{label} ↓"
            options[key] = f"{label} ↑"
        sort = ui.select(options, value=query.sort, label="Sort")
        sort.props("dense outlined data-testid=sort").classes("w-36")
        ui.button("Apply", on_click=apply).props("data-testid=apply")
    with ui.row().classes("items-center gap-1"):
        labels = {f.name: f.label for f in spec.listing.filters}
        for name, value in query.values.items():
            chip = ui.chip(f"{labels[name]}: {value}", removable=True).props(
                f"data-testid=chip-{name}"
            )
            chip.on("remove", lambda _, n=name: go(**{n: None}))
        ui.space()
        ui.label("Export this view:").classes("text-caption q-ml-md")
        ui.link("CSV", url(f"/export/{spec.listing.name}.csv", params)).props(
            "data-testid=export-csv"
        )
        ui.link("CSV for Excel", url(f"/export/{spec.listing.name}.csv", params | {"bom": "1"}))
        ui.link("NDJSON", url(f"/export/{spec.listing.name}.ndjson", params)).props(
            "data-testid=export-ndjson"
        )

    by_id = {row["id"]: row for row in found.rows}
    with ui.row().classes("w-full no-wrap items-start gap-4"):
        columns = [
            {"name": f, "label": label, "field": f, "align": "left"} for f, label in spec.columns
        ]
        table = ui.table(
            columns=columns, rows=[_shown(seen, r) for r in found.rows], row_key="id"
        ).classes("w-full cursor-pointer")
        table.props("dense flat data-testid=rows :rows-per-page-options=[0] hide-pagination")
        panel = ui.column().classes("w-96 shrink-0 q-pa-sm").props("data-testid=detail")
        panel.set_visibility(False)
        table.on("rowClick", lambda e: _detail(panel, seen, by_id[e.args[1]["id"]]))
    if not found.rows:
        ui.label(spec.empty).classes("text-grey-7").props("data-testid=empty")
    with ui.row().classes("gap-4 q-mt-sm"):
        ui.label(f"{len(found.rows)} rows on this page").props("data-testid=row-count")
        if query.after is not None:
            ui.link("First page", url(spec.path, params)).props("data-testid=first-page")
        if found.next_after is not None:
            ui.link("Next page", url(spec.path, params | {"after": found.next_after})).props(
                "data-testid=next-page"
            )
    return None


def register(console: Console) -> None:
    @ui.page("/activity")
    async def activity(request: Request) -> RedirectResponse | None:
        return await show(console, request, ACTIVITY)

    @ui.page("/logs")
    async def logs(request: Request) -> RedirectResponse | None:
        return await show(console, request, LOGS)
