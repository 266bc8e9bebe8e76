"""Every change the console makes is a call to central's administration API with the viewer's
own staff session: central checks the role and writes through its merge path. A refusal is shown
on the page in central's words; nothing changes here."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from central.admin_client import AdminApiError, AdminClient
from web_admin.frame import Console, Seen


class Refused(Exception):
    pass


async def call(
    console: Console, seen: Seen, method: str, path: str, body: dict[str, Any] | None = None
) -> Any:
    """Central's answer; on a refusal a notice on the page, then Refused."""

    def send() -> Any:
        client = AdminClient.with_token(console.central_url, seen.viewer.token)
        try:
            return client.request(method, path, json=body)
        finally:
            client.close()

    try:
        return await run.io_bound(send)
    except AdminApiError as exc:
        ui.notify(f"Central refused: {exc.detail}", type="negative", multi_line=True)
        raise Refused(exc.code) from None


def write_button(seen: Seen, label: str, on_click: Any, testid: str, **props: str) -> ui.button:
    """A button that changes something: shown to administrators only (leads read)."""
    button = ui.button(label, on_click=on_click).props(f"data-testid={testid}")
    for key, value in props.items():
        button.props(key if value == "" else f"{key}={value}")
    button.set_visibility(seen.viewer.can_write)
    return button


def read_only_note(seen: Seen) -> None:
    if not seen.viewer.can_write:
        ui.label(
            "You are a lead: you can read everything here; an administrator makes changes."
        ).classes("text-caption text-grey-7").props("data-testid=read-only")
