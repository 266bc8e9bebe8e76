"""A desktop app served headless by a real `locanext app` process, for the page tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page

from shell.processes import Child


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
    try:
        yield child.app_url(), data
    finally:
        code = child.stop()
        assert code == 0, f"{name} did not stop cleanly:\n{child.tail()}"


def open_page(page: Page, url: str) -> None:
    """Go to ``url`` and wait until the page's socket is connected: NiceGUI pages react to
    clicks only from then on."""
    page.goto(url)
    page.wait_for_function("() => window.socket && window.socket.connected")
