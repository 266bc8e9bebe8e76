"""`locanext app` with a display: a real pytauri window shows the engine's UI (on a first start,
the sign-in page), and SIGTERM closes it cleanly, ending the app session and leaving engine.db
finalized."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from engine.db import Database
from shell.processes import Child
from tests.waiting import wait_for
from tests.xvfb import SCREEN_H, SCREEN_W

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.slow]

HEADER_RGB = (38, 40, 45)  # the header bar of the default theme, dark matte (#26282d)
# The page around it is a close grey (#1f2024): only near-exact pixels count.
TOLERANCE = 3


def _header_pixels(display: str, shot: Path) -> int:
    subprocess.run(
        ["import", "-window", "root", "-display", display, str(shot)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=SCREEN_W * SCREEN_H) or []
    near = lambda c: all(abs(a - b) <= TOLERANCE for a, b in zip(c, HEADER_RGB, strict=True))  # noqa: E731
    return sum(count for count, colour in colours if near(colour))


def test_app_opens_a_window_on_the_engine_ui_and_closes_on_sigterm(
    xvfb_display: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {
        "DISPLAY": xvfb_display,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LOCANEXT_CACHE_DIR": str(Path.home() / ".cache" / "locanext"),  # the cr-sqlite build
    }
    data = tmp_path / "app"
    args = ["app", "--no-sync", "--verbose", "--data-dir", str(data)]
    app = Child("app", args, tmp_path / "app.log", env)
    try:
        line = app.wait_line("LocaNext app: ")
        assert "headless" not in line  # a display is there, so it opened a window
        # The window asked for "/" and was sent on to the sign-in page (nobody signed in yet).
        wait_for(
            lambda: "the sign-in page is shown" in app.tail(200),
            timeout=60,
            what="the window to request the sign-in page",
            context=app.tail,
        )
        shot = tmp_path / "window.png"

        def header_pixels() -> int:
            assert app.process.poll() is None, app.tail()
            return _header_pixels(xvfb_display, shot)

        wait_for(
            header_pixels,
            until=lambda seen: seen >= 1000 * 40,  # a header bar across the window
            timeout=60,
            what="the engine UI's header bar",
            interval=0.5,
            context=app.tail,
        )
        app.process.send_signal(signal.SIGTERM)
        assert app.process.wait(20) == 0, app.tail()
    finally:
        app.stop()
    db = Database(data / "engine.db")
    try:
        with db.read() as conn:
            ended = conn.execute("SELECT ended, end_reason FROM sessions").fetchall()
    finally:
        db.close()
    assert len(ended) == 1 and ended[0][0] is not None and ended[0][1] == "window closed"
