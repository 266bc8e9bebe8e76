"""The Announcements page: every announcement not yet expired, newest first, read or not."""

from __future__ import annotations

from nicegui import ui

from engine.announcements import Announcement, Announcements
from engine.context import EngineContext
from engine.ui.banners import REFRESH_SECONDS, level_chip, local_time
from engine.ui.layout import header


class AnnouncementsView:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._key: object = None
        with ui.row().classes("items-center gap-4"):
            ui.label("Announcements").classes("text-h6")
            ui.button("Mark all as read", on_click=self._read_all, icon="done_all").props(
                "flat data-testid=announcements-read-all"
            )
        self._list = ui.column().classes("w-full gap-3").props("data-testid=announcements")
        self._refresh()
        ui.timer(REFRESH_SECONDS, self._refresh)

    def _read_all(self) -> None:
        items = Announcements(self._ctx.db).unread()
        Announcements(self._ctx.db).mark_read(*(a.id for a in items))
        self._refresh()

    def _refresh(self) -> None:
        items = Announcements(self._ctx.db).current()
        key = [(a.id, a.title, a.body, a.level, a.read) for a in items]
        if key == self._key:
            return
        self._key = key
        self._list.clear()
        with self._list:
            if not items:
                ui.label(
                    "No announcements. Messages from your team's administrators appear here "
                    "after a sync; expired ones are hidden."
                ).classes("lx-muted").props("data-testid=announcements-empty")
            for item in items:
                self._card(item)

    def _card(self, item: Announcement) -> None:
        testid = f"announcement-{item.id}"
        with ui.card().classes("w-full").props(f"data-testid={testid}"):
            with ui.row().classes("items-center gap-3 w-full"):
                level_chip(item.level, f"{testid}-level")
                ui.label(item.title).classes("text-subtitle1 text-weight-bold grow")
                state = "read" if item.read else "unread"
                ui.badge(state, color="grey" if item.read else "primary").props(
                    f"data-testid={testid}-state"
                )
            if item.body:
                ui.label(item.body).classes("whitespace-pre-wrap")
            times = []
            if item.created:
                times.append(f"posted {local_time(item.created)}")
            if item.expires:
                times.append(f"until {local_time(item.expires)}")
            if times:
                ui.label(" · ".join(times)).classes("text-caption lx-muted")


def mount(ctx: EngineContext) -> None:
    @ui.page("/announcements")
    def announcements_page() -> None:
        header(ctx, "/announcements")
        with ui.column().classes("w-full p-4 gap-4"):
            AnnouncementsView(ctx)
