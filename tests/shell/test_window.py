"""shell.window opens a real pytauri window under Xvfb and closes cleanly on SIGTERM and SIGINT.

The window runs in a child process (it owns its main thread until it closes). It must request the
page from a server of the test's own, and a screenshot of the X screen must show the page's colour
over most of the window, which proves that WebKit really rendered it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from shell.window import display_available, tauri_config
from tests.waiting import wait_for
from tests.xvfb import SCREEN_H, SCREEN_W, x_socket

pytestmark = pytest.mark.gui

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGE_TITLE = "LocaNext window test page 7f3c"
PAGE_RGB = (23, 190, 107)  # unlikely anywhere else on a bare X screen
WINDOW_W, WINDOW_H = 900, 600

PAGE_HTML = f"""<!doctype html>
<html><head><title>{PAGE_TITLE}</title></head>
<body style="margin:0">
<div style="width:100vw;height:100vh;background:rgb{PAGE_RGB}"></div>
</body></html>"""

PAGE_LOAD_TIMEOUT_S = 60  # the first WebKit start on a cold 2-core machine can be slow
RENDER_TIMEOUT_S = 20
EXIT_TIMEOUT_S = 10


# --- the page server -------------------------------------------------------------------------


@dataclass
class PageServer:
    url: str
    requests: list[str] = field(default_factory=list)
    page_requested: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def page_server() -> Iterator[PageServer]:
    """uvicorn in a thread on 127.0.0.1 (a free port), recording which paths were requested."""
    # Bound here and handed to uvicorn, so no other process can take the port in between.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server_info = PageServer(url=f"http://127.0.0.1:{port}/")

    async def page(request: Request) -> HTMLResponse:
        server_info.requests.append(request.url.path)
        server_info.page_requested.set()
        return HTMLResponse(PAGE_HTML)

    app = Starlette(routes=[Route("/", page)])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "the page server died on startup"
        return server.started

    wait_for(started, timeout=10, what="the page server to start", interval=0.02)
    try:
        yield server_info
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# --- the window child process ----------------------------------------------------------------


@dataclass
class WindowProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def window_process(
    xvfb_display: str, page_server: PageServer, tmp_path: Path
) -> Iterator[WindowProcess]:
    """`open_window` on the page server's URL, in a child process on the private Xvfb."""
    code = (
        "import logging, signal, sys\n"
        # SIGINT as a terminal starts a program, whatever started the tests: a job started with
        # `&` by a script inherits it ignored, and the window rightly leaves an ignored one be.
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "from shell.window import open_window\n"
        f"sys.exit(open_window({page_server.url!r}, title='LocaNext test',"
        f" width={WINDOW_W}, height={WINDOW_H}))\n"
    )
    home = tmp_path / "home"  # WebKit writes storage and caches under HOME; keep them here
    env = {
        **os.environ,
        "DISPLAY": xvfb_display,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    env.pop("WAYLAND_DISPLAY", None)
    log = tmp_path / "window.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    window = WindowProcess(proc, log)
    try:
        yield window
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _wait_for_page_request(window: WindowProcess, server: PageServer) -> None:
    def requested() -> bool:
        if window.proc.poll() is not None:
            pytest.fail(
                f"the window process exited with {window.proc.returncode} before loading the page:"
                f"\n{window.output()}"
            )
        return server.page_requested.wait(0.1)

    wait_for(
        requested,
        timeout=PAGE_LOAD_TIMEOUT_S,
        what="the window to request the page",
        interval=0,
        context=window.output,
    )


def _page_pixels(display: str, shot: Path) -> tuple[int, int]:
    """Screenshot the whole X screen; return (pixels of the page colour, number of colours)."""
    subprocess.run(
        ["import", "-window", "root", "-display", display, str(shot)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        assert rgb.size == (SCREEN_W, SCREEN_H)
        colours = rgb.getcolors(maxcolors=SCREEN_W * SCREEN_H)
    assert colours is not None
    counts = {colour: count for count, colour in colours}
    return counts.get(PAGE_RGB, 0), len(counts)


def _assert_exits_cleanly(window: WindowProcess, signum: signal.Signals) -> float:
    window.proc.send_signal(signum)
    started = time.monotonic()
    try:
        returncode = window.proc.wait(timeout=EXIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the window ignored {signum.name} for {EXIT_TIMEOUT_S} s:\n{window.output()}")
    assert returncode == 0, f"exit code {returncode} after {signum.name}:\n{window.output()}"
    assert f"{signum.name} received, closing the window" in window.output()
    return time.monotonic() - started


# --- tests -----------------------------------------------------------------------------------


def test_window_shows_the_page_and_exits_on_sigterm(
    xvfb_display: str, page_server: PageServer, window_process: WindowProcess, tmp_path: Path
) -> None:
    _wait_for_page_request(window_process, page_server)
    assert page_server.requests[0] == "/"

    # The request comes before the paint: screenshot until the page shows (or time runs out).
    shot = tmp_path / "window.png"
    window_area = WINDOW_W * WINDOW_H

    def page_pixels_and_colours() -> tuple[int, int]:
        assert window_process.proc.poll() is None, window_process.output()
        return _page_pixels(xvfb_display, shot)

    page_pixels, colours = wait_for(
        page_pixels_and_colours,
        until=lambda seen: seen[0] >= 0.9 * window_area,
        timeout=RENDER_TIMEOUT_S,
        what=f"the page colour over 90% of the window ({window_area} pixels) in {shot}",
        interval=0.25,
    )
    # The window does not cover the whole screen, so the screenshot cannot be uniform.
    assert page_pixels < SCREEN_W * SCREEN_H and colours > 1

    _assert_exits_cleanly(window_process, signal.SIGTERM)


def test_window_exits_on_sigint(page_server: PageServer, window_process: WindowProcess) -> None:
    _wait_for_page_request(window_process, page_server)
    _assert_exits_cleanly(window_process, signal.SIGINT)


DIALOG_CHILD = """
import logging, sys, threading
logging.basicConfig(level=logging.INFO)
from shell.dialogs import TauriDialogs
from shell.window import WINDOW_LABEL, open_window

asking = []

def on_app(handle):
    dialogs = TauriDialogs(handle, WINDOW_LABEL)

    def ask():  # as a page does: from a worker thread, blocking until the user has chosen
        print("CHOSEN", dialogs.pick_files({title!r}), flush=True)
        handle.exit(0)

    asking.append(threading.Thread(target=ask, daemon=True))
    asking[-1].start()

code = open_window({url!r}, title="LocaNext test", on_app=on_app)
# The asking thread may still be returning from handle.exit: a daemon thread stopped inside that
# native call while Python shuts down aborts the process ("exception not rethrown").
for thread in asking:
    thread.join(timeout=10)
sys.exit(code)
"""


def _xdotool(display: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_native_file_dialog_returns_the_file_the_user_chose(
    xvfb_display: str, page_server: PageServer, tmp_path: Path
) -> None:
    """pytauri-wheel's dialog plugin opens GTK's file chooser over the window; a path typed into
    it (as a user would: Ctrl+L, the path, Enter) comes back to the caller."""
    chosen = tmp_path / "strings_ko.txt"
    chosen.write_text("검\n", encoding="utf-8")
    title = "Choose input files 4d2a"
    home = tmp_path / "home"
    env = {**os.environ, "DISPLAY": xvfb_display, "HOME": str(home)}
    env.pop("WAYLAND_DISPLAY", None)
    log = tmp_path / "dialog.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", DIALOG_CHILD.format(title=title, url=page_server.url)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + PAGE_LOAD_TIMEOUT_S
        windows: list[str] = []
        while not windows:  # GTK's dialog, found by its title
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the file dialog never appeared"
            time.sleep(0.3)
            windows = _xdotool(xvfb_display, "search", "--name", title).stdout.split()
        found = windows[0]
        # The dialog may be mapped before it takes keys: type the path until it answers.
        while proc.poll() is None:
            assert time.monotonic() < deadline, (
                f"the dialog never took the path:\n{log.read_text()}"
            )
            # No window manager runs on Xvfb: focus the dialog, then type as a keyboard does.
            _xdotool(xvfb_display, "windowfocus", "--sync", found)
            _xdotool(xvfb_display, "key", "ctrl+l", "ctrl+a")
            _xdotool(xvfb_display, "type", "--delay", "20", str(chosen))
            _xdotool(xvfb_display, "key", "Return")
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=3)
        assert proc.returncode == 0, log.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"CHOSEN ['{chosen}']" in log.read_text(errors="replace")


def test_display_available_follows_the_x_server(
    xvfb_display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", xvfb_display)
    assert display_available()
    monkeypatch.setenv("DISPLAY", f"{xvfb_display}.0")
    assert display_available()

    unused = next(n for n in range(89, 0, -1) if not x_socket(n).exists())
    monkeypatch.setenv("DISPLAY", f":{unused}")
    assert not display_available()
    monkeypatch.setenv("DISPLAY", "not a display")
    assert not display_available()
    monkeypatch.delenv("DISPLAY")
    assert not display_available()


def test_config_ties_the_window_to_the_url_origin() -> None:
    config = tauri_config("http://127.0.0.1:8123/app?x=1", title="T", width=640, height=480)
    assert config["build"]["frontendDist"] == "http://127.0.0.1:8123/"
    (window,) = config["app"]["windows"]
    assert window["url"] == "http://127.0.0.1:8123/app?x=1"
    assert (window["title"], window["width"], window["height"]) == ("T", 640, 480)
    with pytest.raises(ValueError):
        tauri_config("file:///tmp/index.html", title="T", width=640, height=480)
