"""The admin console served by a real `locanext admin` process that reads the mirror as the
read-only role, and signing in to it the way a person does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from shell.processes import Child, free_port

READER = "locanext_reader"
READER_PASSWORD = "locanext-reader-test"  # the same in every test: the role is server-wide


def reader_dsn(pg_dsn: str) -> str:
    """The test database's URL as the read-only role (given a password, for servers that ask)."""
    admin = create_engine(pg_dsn, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"ALTER ROLE {READER} PASSWORD '{READER_PASSWORD}'"))
    admin.dispose()
    url = make_url(pg_dsn).set(username=READER, password=READER_PASSWORD)
    return url.render_as_string(hide_password=False)


@contextmanager
def served_console(tmp_path: Path, pg_dsn: str, central_url: str) -> Iterator[str]:
    """The console's base URL; stopped (and checked to stop cleanly) afterwards."""
    port = free_port()
    args = ["admin", "--dsn", reader_dsn(pg_dsn), "--port", str(port), "--central", central_url]
    child = Child("admin", args, tmp_path / "admin.log")
    try:
        child.wait_http(f"http://127.0.0.1:{port}/api/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        code = child.stop()
        assert code == 0, f"the console did not stop cleanly:\n{child.tail()}"


def sign_in(page: Page, console: str, username: str, password: str, path: str = "/") -> None:
    page.goto(f"{console}{path}")
    page.get_by_test_id("signin-username").fill(username)
    page.get_by_test_id("signin-password").fill(password)
    page.get_by_test_id("signin-submit").click()


def ready(page: Page) -> None:
    """NiceGUI pages react to clicks once their socket is connected."""
    page.wait_for_function("() => window.socket && window.socket.connected")
