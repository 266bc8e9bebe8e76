"""The desktop's own file dialogs for the engine's pages, through pytauri's dialog plugin
(tauri-plugin-dialog, built into pytauri-wheel 0.8.0): GTK's file chooser on Linux, the Windows
and macOS ones elsewhere, each parented to the app's window so it stays in front of it.

The calls block until the user has chosen or cancelled; the pages make them from a worker thread
(never the main thread, which runs the window's event loop).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


class TauriDialogs:
    """:class:`engine.context.NativeDialogs` for one open window."""

    def __init__(self, app_handle: Any, window_label: str) -> None:
        self._handle = app_handle
        self._label = window_label

    def _builder_args(self, title: str) -> dict[str, Any]:
        from pytauri import Manager

        args: dict[str, Any] = {"set_title": title}
        window = Manager.get_webview_window(self._handle, self._label)
        if window is not None:
            args["set_parent"] = window
        return args

    def _files(self) -> Any:
        from pytauri_plugins.dialog import DialogExt

        return DialogExt.file(self._handle)

    def pick_files(self, title: str) -> list[str]:
        chosen = self._files().blocking_pick_files(**self._builder_args(title))
        logger.info("file dialog: %d file(s) chosen", len(chosen or []))
        return [str(path) for path in chosen or []]

    def pick_folder(self, title: str) -> str | None:
        chosen = self._files().blocking_pick_folder(**self._builder_args(title))
        return None if chosen is None else str(chosen)

    def save_file(self, title: str, name: str) -> str | None:
        args = self._builder_args(title)
        if name:
            args["set_file_name"] = name
        chosen = self._files().blocking_save_file(**args)
        return None if chosen is None else str(chosen)
