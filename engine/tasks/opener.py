"""Opening a result file, or the folder holding it, with the desktop's own program.

On a desktop the engine asks the OS (``os.startfile`` on Windows, ``open`` on macOS, ``xdg-open``
on Linux with a display). Without a desktop (headless, over SSH) there is nothing to open a file
on; the UI then shows the path and offers the file for download through the engine instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from engine.errors import EngineError


class CannotOpen(EngineError):
    """The file is gone, or there is no desktop to open it on."""

    status = 409
    code = "cannot_open"


def _command() -> str | None:
    if sys.platform == "darwin":
        return "open"
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return shutil.which("xdg-open")
    return None


def available() -> bool:
    """True when files can be shown on this machine's desktop."""
    return sys.platform == "win32" or _command() is not None


def open_path(path: Path, *, folder: bool = False) -> Path:
    """Show ``path`` (or, with ``folder``, its folder) with the desktop; returns what was opened."""
    target = path.parent if folder else path
    if not target.exists():
        raise CannotOpen(f"{target} no longer exists")
    if sys.platform == "win32":
        os.startfile(target)  # type: ignore[attr-defined]  # noqa: S606 - Windows only
        return target
    command = _command()
    if command is None:
        raise CannotOpen("no desktop to open files on (headless); download the file instead")
    # Its own session, so a Ctrl-C meant for the engine does not reach it; reaped by a thread so
    # the engine never waits for the desktop.
    opener = subprocess.Popen(
        [command, str(target)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    threading.Thread(target=opener.wait, name="opener", daemon=True).start()
    return target
