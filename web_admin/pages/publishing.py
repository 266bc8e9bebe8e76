"""Announcements (compose, publish, edit, withdraw; how many installs have pulled each) and
Releases (publish with notes, URL and a required flag; which installs run which version)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from web_admin import fleet
from web_admin.actions import Refused, call, read_only_note, write_button
from web_admin.frame import Console, Seen, enter, header

LEVELS = ["info", "warning", "critical"]


def _expiry(day: str | None, seen: Seen) -> str | None:
    """The end of the chosen day in the viewer's zone, as central wants it."""
    if not day:
        return None
    end = datetime.combine(datetime.fromisoformat(day).date(), time(23, 59, 59), seen.zone)
    return end.astimezone(UTC).isoformat()


async def _send(console: Console, seen: Seen, method: str, path: str, body: Any = None) -> None:
    try:
        await call(console, seen, method, path, body)
    except Refused:
        return
    ui.navigate.reload()


def _announcement_form(values: dict[str, Any], seen: Seen) -> dict[str, ui.element]:
    expires = values.get("expires")
    fields = {
        "title": ui.input("Title", value=values.get("title") or "").props(
            "data-testid=field-title"
        ),
        "body": ui.textarea("Message", value=values.get("body") or "").props(
            "data-testid=field-body"
        ),
        "level": ui.select(LEVELS, value=values.get("level") or "info", label="Level").props(
            "data-testid=field-level"
        ),
        "expires": ui.input(
            "Expires (YYYY-MM-DD, empty: never)",
            value=expires.astimezone(seen.zone).date().isoformat() if expires else "",
        ).props("data-testid=field-expires"),
    }
    for field in fields.values():
        field.classes("w-full")
    return fields


def _body(fields: dict[str, ui.element], seen: Seen) -> dict[str, Any]:
    return {
        "title": fields["title"].value,
        "body": fields["body"].value or "",
        "level": fields["level"].value,
        "expires": _expiry(fields["expires"].value, seen),
    }


def _announcement(console: Console, seen: Seen, row: dict[str, Any]) -> None:
    path = f"/api/admin/announcements/{quote(row['id'], safe='')}"
    with ui.card().classes("w-full").props(f"data-testid=announcement-{row['id']}"):
        with ui.row().classes("items-center gap-3"):
            ui.badge(row["level"] or "info")
            ui.label(row["title"] or "").classes("text-weight-bold")
            ui.label(f"published {seen.when(row['created'])}").classes("text-caption")
            if row["expires"]:
                ui.label(f"expires {seen.when(row['expires'])}").classes("text-caption")
            n = row["pulled_by"]
            ui.label(f"pulled by {n} install{'' if n == 1 else 's'}").props("data-testid=pulled-by")
        ui.label(row["body"] or "").classes("whitespace-pre-wrap")
        with ui.dialog() as edit, ui.card().classes("w-[32rem]"):
            fields = _announcement_form(row, seen)
            ui.button(
                "Save", on_click=lambda: _send(console, seen, "PATCH", path, _body(fields, seen))
            )
        with ui.dialog() as confirm, ui.card():
            ui.label("Withdraw it? Installs remove it at their next sync.")
            ui.button(
                "Withdraw", color="negative", on_click=lambda: _send(console, seen, "DELETE", path)
            ).props("data-testid=withdraw-confirm")
        with ui.row():
            write_button(seen, "Edit", edit.open, "edit-announcement", flat="")
            write_button(seen, "Withdraw", confirm.open, "withdraw", flat="", color="negative")


def register(console: Console) -> None:
    @ui.page("/announcements")
    async def announcements_page(request: Request) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Announcements")
        read_only_note(seen)

        def load() -> list[dict[str, Any]]:
            with console.engine.connect() as conn:
                return fleet.announcements(conn)

        rows = await run.io_bound(load)
        if seen.viewer.can_write:
            with ui.card().classes("w-[40rem]").props("data-testid=compose"):
                ui.label("New announcement").classes("text-h6")
                fields = _announcement_form({}, seen)
                ui.button(
                    "Publish",
                    on_click=lambda: _send(
                        console, seen, "POST", "/api/admin/announcements", _body(fields, seen)
                    ),
                ).props("data-testid=publish")
        if not rows:
            ui.label("No announcements. What you publish here appears in every desktop app.")
        for row in rows:
            _announcement(console, seen, row)
        return None

    @ui.page("/releases")
    async def releases_page(request: Request) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Releases")
        read_only_note(seen)

        def load() -> tuple[list[dict[str, Any]], list[tuple[str, int]]]:
            with console.engine.connect() as conn:
                return fleet.releases(conn), fleet.versions_in_use(conn)

        rows, versions = await run.io_bound(load)
        if seen.viewer.can_write:
            with ui.card().classes("w-[40rem]").props("data-testid=compose-release"):
                ui.label("Publish a release").classes("text-h6")
                version = ui.input("Version").props("data-testid=field-version")
                notes = ui.textarea("Notes").props("data-testid=field-notes").classes("w-full")
                link = ui.input("Download URL (https://...)").props("data-testid=field-url")
                link.classes("w-full")
                required = ui.checkbox("Required (older apps must update)").props(
                    "data-testid=field-required"
                )

                async def publish() -> None:
                    body = {
                        "version": (version.value or "").strip(),
                        "notes": notes.value or "",
                        "url": (link.value or "").strip(),
                        "required": bool(required.value),
                    }
                    await _send(console, seen, "POST", "/api/admin/releases", body)

                ui.button("Publish", on_click=publish).props("data-testid=publish-release")
        ui.label("Versions in use").classes("text-h6")
        ui.label(", ".join(f"{v}: {n} installs" for v, n in versions) or "no installs yet").props(
            "data-testid=versions"
        )
        if not rows:
            ui.label("No releases published. Installs are told about a newer version here.")
        for row in rows:
            path = f"/api/admin/releases/{quote(row['version'], safe='')}"
            with ui.card().classes("w-full").props(f"data-testid=release-{row['version']}"):
                with ui.row().classes("items-center gap-3"):
                    ui.label(row["version"]).classes("text-weight-bold")
                    if row["required"]:
                        ui.badge("required", color="negative")
                    ui.label(f"published {seen.when(row['released'])}").classes("text-caption")
                    ui.label(f"{row['running']} installs run it, {row['pulled_by']} know of it")
                ui.label(row["notes"] or "").classes("whitespace-pre-wrap")
                if row["url"]:
                    ui.link(row["url"], row["url"], new_tab=True)
                write_button(
                    seen,
                    "Withdraw",
                    lambda p=path: _send(console, seen, "DELETE", p),
                    f"withdraw-{row['version']}",
                    flat="",
                    color="negative",
                )
        return None
