"""Choosing files and folders without typing paths.

In the window, the desktop's own dialogs (``EngineContext.native_dialogs``, set by the shell).
In a browser (headless mode), a dialog in the page that browses the user's own folders
(:mod:`engine.filesystem`; the listing happens on the engine's side of the page's socket, so no
HTTP route lists folders). Each call returns what was chosen, or nothing when cancelled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from nicegui import run, ui

from engine.context import EngineContext
from engine.filesystem import CannotList, Listing, list_folder, places

log = logging.getLogger(__name__)

Mode = Literal["files", "folder", "save"]


class FolderBrowser:
    """The in-page dialog: places, a path box, the folder's entries; files can be ticked."""

    def __init__(self, ctx: EngineContext, mode: Mode, title: str, name: str = "") -> None:
        self._mode = mode
        self._chosen: set[str] = set()
        self._listing: Listing | None = None
        with (
            ui.dialog() as self.dialog,
            ui.card().classes("w-[56rem] max-w-full").props("data-testid=picker"),
        ):
            ui.label(title).classes("text-h6")
            with ui.row().classes("items-center gap-2 w-full"):
                for label, path in places(ctx.data_dir):
                    ui.button(label, on_click=lambda p=path: self.go(p)).props(
                        f"flat dense no-caps icon=folder_special data-testid=picker-place-{label}"
                    )
            with ui.row().classes("items-center gap-2 w-full no-wrap"):
                ui.button(icon="arrow_upward", on_click=self._up).props(
                    "flat dense round data-testid=picker-up aria-label='Parent folder'"
                )
                self._path = (
                    ui.input("Folder", on_change=None)
                    .classes("grow lx-mono")
                    .props("dense data-testid=picker-path")
                )
                self._path.on("keydown.enter", lambda: self.go(self._path.value or ""))
                ui.button("Go", on_click=lambda: self.go(self._path.value or "")).props(
                    "flat dense data-testid=picker-go"
                )
            self._error = ui.label("").classes("text-negative").props("data-testid=picker-error")
            self._entries = (
                ui.column()
                .classes("w-full gap-0 overflow-auto")
                .style("max-height: 50vh")
                .props("data-testid=picker-entries")
            )
            self._name = (
                ui.input("File name", value=name).classes("w-full").props("data-testid=picker-name")
            )
            self._name.set_visibility(mode == "save")
            with ui.row().classes("w-full items-center justify-end gap-2"):
                self._summary = (
                    ui.label("").classes("lx-muted grow").props("data-testid=picker-summary")
                )
                ui.button("Cancel", on_click=lambda: self.dialog.submit(None)).props(
                    "flat data-testid=picker-cancel"
                )
                choose = {"files": "Choose", "folder": "Choose this folder", "save": "Save here"}
                ui.button(choose[mode], on_click=self._submit, icon="check").props(
                    "data-testid=picker-choose"
                )

    def go(self, path: str) -> None:
        try:
            listing = list_folder(path)
        except CannotList as exc:
            self._error.set_text(str(exc))
            return
        self._error.set_text("")
        self._listing = listing
        self._path.set_value(listing.path)
        self._entries.clear()
        with self._entries:
            if not listing.items:
                ui.label("This folder is empty.").classes("lx-muted q-pa-sm")
            for item in listing.items:
                self._entry(item.name, item.path, item.folder, item.size)
            if listing.cut:
                ui.label("More entries than can be listed: type a deeper path.").classes(
                    "lx-muted q-pa-sm"
                )
        self._show_summary()

    def _entry(self, name: str, path: str, folder: bool, size: int | None) -> None:
        with (
            ui.row()
            .classes("items-center gap-2 w-full q-px-sm")
            .props(f"data-testid=picker-entry data-name='{name}'")
        ):
            if folder:
                ui.button(name, icon="folder", on_click=lambda p=path: self.go(p)).props(
                    "flat dense no-caps align=left"
                )
            elif self._mode == "files":
                ui.checkbox(
                    name,
                    value=path in self._chosen,
                    on_change=lambda e, p=path: self._tick(p, e.value),
                ).props("dense")
            else:
                ui.icon("description").classes("lx-muted")
                label = ui.label(name).classes("cursor-pointer")
                if self._mode == "save":
                    label.on("click", lambda n=name: self._name.set_value(n))
            if size is not None:
                ui.label(f"{size:,} bytes").classes("text-caption lx-muted q-ml-auto")

    def _tick(self, path: str, on: bool) -> None:
        (self._chosen.add if on else self._chosen.discard)(path)
        self._show_summary()

    def _show_summary(self) -> None:
        if self._mode == "files":
            n = len(self._chosen)
            self._summary.set_text(f"{n} file{'s' * (n != 1)} chosen")
        elif self._listing is not None:
            self._summary.set_text(self._listing.path)

    def _up(self) -> None:
        if self._listing is not None and self._listing.parent:
            self.go(self._listing.parent)

    def _submit(self) -> None:
        if self._mode == "files":
            self.dialog.submit(sorted(self._chosen))
        elif self._listing is None:
            self._error.set_text("Open a folder first.")
        elif self._mode == "folder":
            self.dialog.submit(self._listing.path)
        else:
            name = (self._name.value or "").strip()
            if not name or "/" in name or "\\" in name:
                self._error.set_text("Give a file name (without folders).")
                return
            self.dialog.submit(str(Path(self._listing.path) / name))


class Picker:
    """What the pages call: ``await picker.files(...)``, ``.folder(...)``, ``.save(...)``."""

    def __init__(self, ctx: EngineContext, start: str | None = None) -> None:
        self._ctx = ctx
        self._start = start or str(Path.home())
        # Where the in-page dialogs are created (not inside whatever element was clicked).
        self._host = ui.element("div")

    @property
    def native(self) -> bool:
        return self._ctx.native_dialogs is not None

    async def _browse(self, mode: Mode, title: str, name: str = "") -> object:
        self._host.clear()
        with self._host:
            browser = FolderBrowser(self._ctx, mode, title, name)
        browser.go(self._start)
        result = await browser.dialog
        if isinstance(result, str):
            self._start = result if mode == "folder" else str(Path(result).parent)
        elif isinstance(result, list) and result:
            self._start = str(Path(result[0]).parent)
        return result

    async def _native(self, call: Callable[..., object], *args: str) -> tuple[bool, object]:
        """(True, what the desktop's dialog gave), or (False, None) when there is none or it
        failed (the in-page browser is used then)."""
        if self._ctx.native_dialogs is None:
            return False, None
        try:
            return True, await run.io_bound(call, *args)
        except Exception:
            log.exception("the native file dialog failed; using the in-page one")
            return False, None

    async def files(self, title: str = "Choose files") -> list[str]:
        dialogs = self._ctx.native_dialogs
        done, result = await self._native(dialogs.pick_files if dialogs else _none, title)
        if not done:
            result = await self._browse("files", title)
        return [str(p) for p in result] if isinstance(result, list) else []

    async def folder(self, title: str = "Choose a folder") -> str | None:
        dialogs = self._ctx.native_dialogs
        done, result = await self._native(dialogs.pick_folder if dialogs else _none, title)
        if not done:
            result = await self._browse("folder", title)
        return result if isinstance(result, str) else None

    async def save(self, title: str = "Save as", name: str = "") -> str | None:
        dialogs = self._ctx.native_dialogs
        done, result = await self._native(dialogs.save_file if dialogs else _none, title, name)
        if not done:
            result = await self._browse("save", title, name)
        return result if isinstance(result, str) else None


def _none(*_args: str) -> None:
    return None
