"""The desktop window: a pytauri (WebKitGTK on Linux) window showing a page of a local HTTP server.

The window only displays a URL; the engine serves the UI. `open_window` owns the calling (main)
thread until the window closes or the process gets SIGINT/SIGTERM, then returns the exit code.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = ["display_available", "open_window"]

logger = logging.getLogger(__name__)

# WebKit keeps the window's storage (localStorage, caches) under a directory named after it.
APP_IDENTIFIER = "org.locanext.desktop"
WINDOW_LABEL = "main"

_EXIT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Not a signal number, so it can share the wakeup socket: tells the watcher thread to return.
_STOP_BYTE = b"\x00"
_CONNECT_TIMEOUT_S = 1.0


class _ExitHandle(Protocol):
    """The part of pytauri's AppHandle the signal watcher uses (AppHandle is thread-safe)."""

    def exit(self, exit_code: int, /) -> None: ...


def display_available() -> bool:
    """True when a Wayland or X11 display is set in the environment and accepts connections.

    On Windows and macOS there is no such variable and the desktop is always there.
    """
    if sys.platform in ("win32", "darwin"):
        return True
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland and _wayland_reachable(wayland):
        return True
    x11 = os.environ.get("DISPLAY")
    return bool(x11) and _x11_reachable(x11)


def open_window(
    url: str,
    *,
    title: str = "LocaNext",
    width: int = 1200,
    height: int = 800,
    on_app: Callable[[Any], None] | None = None,
) -> int:
    """Open a window on `url` (e.g. ``http://127.0.0.1:8123/``); block until it closes.

    Returns the application's exit code: 0 when the user closed the window or SIGINT/SIGTERM
    arrived. Must be called on the main thread (GTK and `signal.set_wakeup_fd` require it).
    ``on_app(app_handle)`` is called once the app is built, before the window runs (the desktop
    hands the engine its file dialogs there). The dialog plugin is always registered.
    """
    config = tauri_config(url, title=title, width=width, height=height)
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("open_window must run on the main thread")
    if not display_available():
        raise RuntimeError("no usable display: set DISPLAY or WAYLAND_DISPLAY (or run under Xvfb)")

    # Imported here so that importing this module (and display_available) never loads WebKitGTK.
    from pytauri_plugins import dialog
    from pytauri_wheel.lib import builder_factory, context_factory

    # pytauri-wheel reads tauri.conf.json from a directory; the config depends on the URL, so the
    # directory is written at run time. Everything is read into the Context (no icon or asset
    # files are referenced), so the directory can go before the window opens.
    with tempfile.TemporaryDirectory(prefix="locanext-tauri-") as conf_dir:
        (Path(conf_dir) / "tauri.conf.json").write_text(json.dumps(config), encoding="utf-8")
        context = context_factory(Path(conf_dir))
    # invoke_handler=None: the page talks HTTP to its own server, it needs no pytauri commands.
    app = builder_factory().build(context, invoke_handler=None, plugins=[dialog.init()])
    if on_app is not None:
        on_app(app.handle())
    logger.info("opening window %r on %s", title, url)
    with _exit_on_signals(app.handle()):
        exit_code = app.run_return()
    logger.info("window closed, exit code %d", exit_code)
    return exit_code


def tauri_config(url: str, *, title: str, width: int, height: int) -> dict[str, Any]:
    """The tauri config for one window on `url`.

    Tauri only lets the page use IPC when its origin equals `frontendDist`'s, so both come from
    the same URL (a server on 127.0.0.1 must not be opened as localhost, or the other way round).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http(s) URL with a host, got {url!r}")
    origin = f"{parts.scheme}://{parts.netloc}/"
    return {
        "identifier": APP_IDENTIFIER,
        "productName": "LocaNext",
        # devUrl too, in case a debug build of the extension prefers it over frontendDist.
        "build": {"frontendDist": origin, "devUrl": origin},
        "app": {
            "windows": [
                {
                    "label": WINDOW_LABEL,
                    "title": title,
                    "url": url,
                    "width": width,
                    "height": height,
                    "center": True,
                }
            ],
            # Our own server's pages: no CSP rewriting of what it sends.
            "security": {"csp": None},
        },
    }


@contextlib.contextmanager
def _exit_on_signals(handle: _ExitHandle) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM make the app exit with code 0.

    The main thread stays inside the GUI loop (Rust), so Python-level signal handlers would only
    run after the window is gone. Python's C-level handler still writes the signal number to the
    wakeup fd at once; a helper thread reads it and asks the app to exit.
    """
    reader, writer = socket.socketpair()
    # The C handler must never block; a full buffer only drops bytes we do not need twice.
    writer.setblocking(False)
    watcher = threading.Thread(
        target=_watch_signals, args=(reader, handle), name="locanext-window-signals", daemon=True
    )
    watcher.start()
    # The fd before the handlers: every signal one of them catches is then written to it.
    previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    # A signal ignored on entry (e.g. SIGINT for a shell's `cmd &` job) stays ignored.
    previous_handlers = {
        sig: signal.signal(sig, _note_signal)
        for sig in _EXIT_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, handler in previous_handlers.items():
            # None: the old handler was not set from Python; the default is the best we can do.
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)
        signal.set_wakeup_fd(previous_fd)
        # A full buffer refuses the byte; closing the socket below ends the watcher as well.
        with contextlib.suppress(OSError):
            writer.send(_STOP_BYTE)
        writer.close()
        watcher.join(timeout=5)
        reader.close()


def _note_signal(signum: int, _frame: object) -> None:
    # Runs on the main thread only once it is back in Python, i.e. after the window has closed;
    # the watcher thread did the work. It must not raise (no KeyboardInterrupt after a clean exit).
    logger.debug("%s handled by the window's signal watcher", signal.Signals(signum).name)


def _watch_signals(reader: socket.socket, handle: _ExitHandle) -> None:
    while True:
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        for signum in data:
            if signum == _STOP_BYTE[0]:
                return
            if signum in _EXIT_SIGNALS:
                logger.info("%s received, closing the window", signal.Signals(signum).name)
                handle.exit(0)
            # Other signals with Python handlers also reach the wakeup fd; they are not ours.


def _x11_reachable(display: str) -> bool:
    # DISPLAY is [host]:number[.screen]; an empty host or "unix" means the local socket.
    host, sep, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not sep or not number.isdigit():
        return False
    if host in ("", "unix"):
        return _unix_reachable(f"/tmp/.X11-unix/X{number}")
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=_CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


def _wayland_reachable(name: str) -> bool:
    if os.path.isabs(name):
        return _unix_reachable(name)
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    return bool(runtime_dir) and _unix_reachable(os.path.join(runtime_dir, name))


def _unix_reachable(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(_CONNECT_TIMEOUT_S)
        try:
            sock.connect(path)
        except OSError:
            return False
    return True
