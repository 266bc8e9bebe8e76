"""What every console page shares: the session check, the header with the navigation and who is
signed in, the viewer's time zone, and how times and errors are shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui
from sqlalchemy import Engine

from web_admin.auth import ZONE_COOKIE, Gate, Viewer
from web_admin.live import MergeSignal
from web_admin.signin import ZONE_SCRIPT

# Korean and Japanese text in the fonts the viewer's system has for them.
FONTS = (
    'body { font-family: "Noto Sans", "Noto Sans CJK KR", "Malgun Gothic", "Apple SD Gothic Neo",'
    ' "Noto Sans CJK JP", "Yu Gothic", sans-serif; }'
)
NAV = (
    ("/", "Overview"),
    ("/live", "Live"),
    ("/activity", "Activity"),
    ("/logs", "Logs"),
    ("/users", "Users"),
    ("/installs", "Installs"),
    ("/conflicts", "Conflicts"),
    ("/announcements", "Announcements"),
    ("/releases", "Releases"),
)


@dataclass
class Console:
    engine: Engine
    gate: Gate
    central_url: str
    signal: MergeSignal


@dataclass(frozen=True)
class Seen:
    """A page request by a signed-in viewer."""

    viewer: Viewer
    zone: ZoneInfo
    request: Request

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")


def zone_of(request: Request) -> ZoneInfo:
    try:
        return ZoneInfo(request.cookies.get(ZONE_COOKIE) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_signin(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(here, safe='')}", status_code=303)


async def enter(console: Console, request: Request) -> Seen | RedirectResponse:
    viewer = await console.gate.viewer(request)
    if viewer is None:
        return to_signin(request)
    return Seen(viewer, zone_of(request), request)


def header(seen: Seen, title: str) -> None:
    ui.add_head_html(ZONE_SCRIPT)
    ui.add_css(FONTS)
    ui.page_title(f"{title} · LocaNext admin")
    ui.dark_mode(None)  # follows the viewer's system setting
    here = seen.request.url.path
    with ui.header().classes("items-center gap-1 flex-wrap"):
        ui.label("LocaNext admin").classes("text-h6 q-mr-md")
        for path, label in NAV:
            current = here == path or (path != "/" and here.startswith(path + "/"))
            link = ui.link(label, path).classes("text-white q-px-sm")
            link.classes("text-weight-bold underline" if current else "no-underline")
        ui.space()
        role = "administrator" if seen.viewer.can_write else "lead · read only"
        name = seen.viewer.display_name or seen.viewer.username
        ui.label(f"{name} · {seen.viewer.username} · {role}").props("data-testid=whoami")
        ui.html(
            '<form method="post" action="/signout" style="margin:0">'
            '<button type="submit" data-testid="signout" style="background:transparent;'
            "color:inherit;border:1px solid currentColor;border-radius:4px;padding:2px 10px;"
            'cursor:pointer">Sign out</button></form>',
            sanitize=False,
        )
    ui.label(title).classes("text-h5 q-mt-sm")


def url(path: str, params: dict[str, str]) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def problem(text: str) -> None:
    """An error state: what went wrong and what to do, on the page (not only in a console)."""
    shown = ui.label(text).classes("text-negative text-weight-medium")
    shown.props("role=alert data-testid=problem")


def now_utc() -> datetime:
    return datetime.now(UTC)


def cell(value: Any) -> Any:
    return "" if value is None else value
