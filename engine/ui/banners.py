"""Banners under the header of every page: a required update (stays until the app is updated), a
newer release (dismissable), and unread announcements (coloured by level, always with the level's
word and icon)."""

from __future__ import annotations

from datetime import datetime

from nicegui import ui

from engine.announcements import Announcement, Announcements
from engine.context import EngineContext
from engine.releases import Notice, Releases

REFRESH_SECONDS = 3.0
# level -> (Quasar colour, text colour, icon, word)
LEVEL_STYLE = {
    "info": ("info", "text-white", "info", "Info"),
    "warning": ("warning", "text-black", "warning", "Warning"),
    "critical": ("negative", "text-white", "error", "Critical"),
}


def local_time(moment: datetime | None) -> str:
    """A UTC time in this PC's zone, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _release_banner(ctx: EngineContext, notice: Notice, on_change: object) -> None:
    release = notice.newest
    testid = "update-required" if notice.required else "update-available"
    colour = "bg-negative text-white" if notice.required else "bg-info text-white"
    with (
        ui.row()
        .classes(f"{colour} w-full items-center gap-3 px-4 py-2 rounded")
        .props(f"data-testid={testid} role=alert")
    ):
        ui.icon("system_update" if notice.required else "new_releases").classes("text-h6")
        word = "Update required" if notice.required else "Update available"
        ui.label(f"{word}: LocaNext {release.version}").classes("text-weight-bold")
        ui.label(f"(this app is {notice.current})").classes("text-caption")
        if release.notes:
            ui.label(release.notes).classes("grow").props(f"data-testid={testid}-notes")
        else:
            ui.element("div").classes("grow")
        if release.url:
            ui.link("Download", release.url, new_tab=True).classes("text-white").props(
                f"data-testid={testid}-link"
            )
        if not notice.required:

            def dismiss() -> None:
                Releases(ctx.db).dismiss(release.version)
                on_change()  # type: ignore[operator]

            ui.button("Later", on_click=dismiss).props(
                f"flat dense color=white data-testid={testid}-dismiss"
            )


def level_chip(level: str, testid: str) -> None:
    colour, text, icon, word = LEVEL_STYLE.get(level, LEVEL_STYLE["info"])
    ui.chip(word, icon=icon, color=colour).classes(text).props(f"dense data-testid={testid}")


def _announcement_banner(ctx: EngineContext, item: Announcement, on_change: object) -> None:
    colour, text, icon, word = LEVEL_STYLE[item.level]
    with (
        ui.row()
        .classes(f"bg-{colour} {text} w-full items-center gap-3 px-4 py-2 rounded")
        .props(f"data-testid=banner-{item.id} data-level={item.level} role=status")
    ):
        ui.icon(icon).classes("text-h6")
        ui.label(f"{word}:").classes("text-weight-bold")
        ui.label(item.title).classes("text-weight-bold")
        ui.label(item.body).classes("grow ellipsis").style("max-width: 60vw")

        def read() -> None:
            Announcements(ctx.db).mark_read(item.id)
            on_change()  # type: ignore[operator]

        ui.link("All announcements", "/announcements").classes(text)
        ui.button("Mark as read", on_click=read).props(
            f"flat dense data-testid=banner-{item.id}-read"
        ).classes(text)


def area(ctx: EngineContext) -> None:
    """The banners column, refreshed while the page is open."""
    box = ui.column().classes("w-full gap-2 px-4 pt-3").props("data-testid=banners")
    shown: list[object] = [None]

    def refresh(force: bool = False) -> None:
        notice = Releases(ctx.db).notice()
        unread = Announcements(ctx.db).unread()
        key = (notice, [(a.id, a.title, a.body, a.level) for a in unread])
        if key == shown[0] and not force:
            return
        shown[0] = key
        box.clear()
        with box:
            if notice is not None:
                _release_banner(ctx, notice, lambda: refresh(True))
            for item in unread:
                _announcement_banner(ctx, item, lambda: refresh(True))
        box.set_visibility(notice is not None or bool(unread))

    refresh()
    ui.timer(REFRESH_SECONDS, refresh)
