"""A desktop app served headless by a real `locanext app` process, for the page tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page

from engine import access
from shell.processes import Child

# Base URL -> data dir of each app served here: its launch key is in the data dir.
_DATA_DIRS: dict[str, Path] = {}


@contextmanager
def served_app(
    tmp_path: Path, name: str = "app", *, sync: bool = False, env: dict[str, str] | None = None
) -> Iterator[tuple[str, Path]]:
    """(base URL, data dir) of `locanext app --headless` on a data dir of its own; stopped (and
    checked to stop cleanly) afterwards."""
    data = tmp_path / name
    args = ["app", "--headless", "--data-dir", str(data)] + ([] if sync else ["--no-sync"])
    log = tmp_path / f"{name}.log"
    log.unlink(missing_ok=True)  # the URL line read must be this start's
    child = Child(name, args, log, env)
    url = ""
    try:
        url = register(child.app_url(), data)
        yield url, data
    finally:
        _DATA_DIRS.pop(url, None)
        code = child.stop()
        assert code == 0, f"{name} did not stop cleanly:\n{child.tail()}"


def register(url: str, data: Path) -> str:
    """Remember that the app at ``url`` keeps its launch key in ``data``; returns ``url``."""
    _DATA_DIRS[url] = data
    return url


def goto(page: Page, url: str) -> None:
    """``page.goto`` with the launch key of the app served at ``url`` (the key changes at every
    start of the app, so it is read each time)."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}"
    if base in _DATA_DIRS:
        let_in(page, _DATA_DIRS[base], base)
    page.goto(url)


def let_in(page: Page, data: Path, base: str) -> None:
    """Give the browser this launch's key as the cookie a launch link would set."""
    port = urlsplit(base).port
    assert port is not None
    cookie = {"name": access.cookie_name(port), "value": access.read_key(data), "url": base}
    page.context.add_cookies([cookie])  # type: ignore[list-item]


def open_page(page: Page, url: str) -> None:
    """Go to ``url`` (of an app served here: with its key) and wait until the page's socket is
    connected: NiceGUI pages react to clicks only from then on."""
    goto(page, url)
    page.wait_for_function("() => window.socket && window.socket.connected")
