"""Every way a new user can get a `locanext` command wrong ends the same way: a non-zero exit code
and one line on stderr, ``error: ...``, that says what happened and what to do; no traceback, and
nothing changed. Real processes of the `locanext` entry point, real PostgreSQL, real HTTP."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from starlette.types import Receive, Scope, Send

from engine.db import Database
from engine.migrations import LATEST_VERSION
from engine.server import BackgroundServer
from engine.token_store import open_store
from shell import processes
from shell.processes import Child, free_port
from tests.central.test_sync_api import _create_user


def _run(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, as_user: bool = False
) -> subprocess.CompletedProcess:
    """`locanext ARGS`; ``as_user``: without root's power to write anywhere (when root)."""
    prefix = []
    if as_user and os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    return subprocess.run(
        [*prefix, *processes.command(*args)],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def _one_line(result: subprocess.CompletedProcess, code: int = 1) -> str:
    """The one error line of a failed command."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# --- the command line itself --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "said", "command"),
    [
        (["central", "--port", "abc"], "invalid value for '--port'", "locanext central"),
        (["sync", "--interval", "often"], "invalid value for '--interval'", "locanext sync"),
        (["enroll", "--user", "jun"], "missing option '--central'", "locanext enroll"),
        (["frob"], "no such command 'frob'", "locanext"),
        (["users"], "missing command", "locanext users"),
        (["users", "delete"], "missing argument 'username'", "locanext users delete"),
    ],
)
def test_a_command_line_that_does_not_parse_names_the_help_to_read(
    args: list[str], said: str, command: str
) -> None:
    line = _one_line(_run(*args), code=2)
    assert said in line and line.endswith(f"(see `{command} --help`)"), line


# --- enrolling ----------------------------------------------------------------------------------
def test_enroll_refuses_a_missing_or_empty_password_before_calling_central(
    tmp_path: Path,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: a call would fail otherwise
    enroll = ["enroll", "--central", nowhere, "--user", "jun", "--data-dir", str(tmp_path)]
    ended = _one_line(_run(*enroll, "--password-stdin", stdin=""))
    assert "expected the password" in ended and "standard input" in ended
    blank = _one_line(_run(*enroll, "--password-stdin", stdin="\n"))
    assert "the password is empty" in blank
    no_terminal = _one_line(_run(*enroll))  # standard input is not a terminal to prompt on
    assert "no terminal to ask for the password: pipe it in with --password-stdin" in no_terminal


def _token(data: Path) -> str | None:
    db = Database(data / "engine.db")
    try:
        return open_store(db).get()
    finally:
        db.close()


def test_enrolling_an_enrolled_install_again_needs_force(tmp_path: Path, central_url: str) -> None:
    _create_user(central_url, "jun", "jun-password")
    data = tmp_path / "d"
    enroll = ["enroll", "--central", central_url, "--user", "jun", "--password-stdin"]
    first = _run(*enroll, "--data-dir", str(data), stdin="jun-password\n")
    assert first.returncode == 0, first.stderr
    token = _token(data)
    again = _one_line(_run(*enroll, "--data-dir", str(data), stdin="jun-password\n"))
    assert f"already enrolled at {central_url} as jun" in again
    assert "new token" in again and "--force" in again and "sign out" in again
    assert _token(data) == token  # nothing changed
    forced = _run(*enroll, "--force", "--data-dir", str(data), stdin="jun-password\n")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.startswith("re-enrolled (new token) install ")
    assert _token(data) not in (None, token)
    synced = _run("sync", "--once", "--data-dir", str(data))
    assert synced.returncode == 0, synced.stderr  # the new token is the one central knows


def test_a_bare_host_and_port_is_read_as_http_here_and_https_elsewhere(
    tmp_path: Path, central_url: str
) -> None:
    _create_user(central_url, "jun", "jun-password")
    bare = central_url.removeprefix("http://")
    enroll = ["enroll", "--user", "jun", "--password-stdin"]
    here = _run(*enroll, "--central", bare, "--data-dir", str(tmp_path / "a"),
                stdin="jun-password\n")  # fmt: skip
    assert here.returncode == 0, here.stderr
    assert here.stderr == f"note: central's address {bare!r} read as {central_url}\n"
    assert f"as jun at {central_url}" in here.stdout
    elsewhere = _run(*enroll, "--central", "central.invalid:8700", "--data-dir",
                     str(tmp_path / "b"), stdin="jun-password\n")  # fmt: skip
    assert elsewhere.returncode == 1
    note, error = elsewhere.stderr.splitlines()
    assert note.endswith("read as https://central.invalid:8700")
    assert error.startswith("error: cannot reach central at https://central.invalid:8700")


async def _not_central(scope: Scope, receive: Receive, send: Send) -> None:
    """Some other web server where central was expected."""
    if scope["type"] != "http":
        return
    page = b"<html><body><h1>It works!</h1></body></html>"
    headers = [(b"content-type", b"text/html"), (b"content-length", str(len(page)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": page})


@pytest.fixture
def not_central() -> Iterator[str]:
    server = BackgroundServer(_not_central)
    yield server.start()
    server.stop()


def test_an_unreachable_or_wrong_central_is_named_with_what_to_check(
    tmp_path: Path, not_central: str
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    data = ["--data-dir", str(tmp_path)]
    for url, said in [(nowhere, "cannot reach central at"), (not_central, "check the URL")]:
        enroll = _run("enroll", "--central", url, "--user", "jun", "--password-stdin", *data,
                      stdin="pw\n")  # fmt: skip
        assert said in _one_line(enroll) and url in _one_line(enroll)
        users = _run("users", "list", "--central", url, "--password-stdin", stdin="pw\n")
        assert said in _one_line(users) and url in _one_line(users)
    wrong = _one_line(_run("users", "list", "--central", not_central, "--password-stdin",
                           stdin="pw\n"))  # fmt: skip
    assert "HTTP 404 Not Found, not as LocaNext central does" in wrong and "<html" not in wrong


def test_missing_or_wrong_files_named_by_options_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    enroll = _run("enroll", "--central", "https://central.example", "--user", "jun",
                  "--password-stdin", "--ca-cert", str(missing), "--data-dir", str(tmp_path / "d"),
                  stdin="pw\n")  # fmt: skip
    assert f"cannot use the CA bundle {missing}" in _one_line(enroll)
    central = _run("central", "--tls-cert", str(missing), "--tls-key", str(missing))
    assert f"no such file: {missing}" in _one_line(central)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate", encoding="utf-8")
    nowhere = f"postgresql://locanext@127.0.0.1:{free_port()}/central"  # never reached
    wrong = _run("central", "--dsn", nowhere, "--tls-cert", str(junk), "--tls-key", str(junk))
    assert f"cannot serve HTTPS with {junk} and {junk}" in _one_line(wrong)
    assert "--tls-cert a PEM certificate chain and --tls-key its private key" in _one_line(wrong)


def test_deleting_a_user_without_a_terminal_to_confirm_on_needs_yes() -> None:
    refused = _one_line(_run("users", "delete", "mina", "--central", "http://127.0.0.1:9"))
    assert "asks for confirmation, but there is no terminal: add --yes" in refused


# --- the install's data directory ---------------------------------------------------------------
def test_a_data_dir_that_is_not_a_directory_or_not_writable_is_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a directory", encoding="utf-8")
    under_file = _one_line(_run("sync", "--once", "--data-dir", str(a_file / "d")))
    assert f"cannot use {a_file / 'd'} as the data directory (Not a directory" in under_file
    assert "--data-dir" in under_file
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    for where in (locked, locked / "d"):
        refused = _one_line(_run("sync", "--once", "--data-dir", str(where), as_user=True))
        assert "--data-dir" in refused
        assert "no permission to write" in refused or "Permission denied" in refused
    assert list(locked.iterdir()) == []
    kept = tmp_path / "kept"
    assert _run("sync", "--once", "--data-dir", str(kept)).returncode == 1  # not enrolled yet
    (kept / "engine.db").chmod(0o400)
    read_only = _one_line(_run("sync", "--once", "--data-dir", str(kept), as_user=True))
    assert f"no permission to write {kept / 'engine.db'}" in read_only


def test_an_engine_database_from_a_newer_locanext_is_left_alone(tmp_path: Path) -> None:
    db = Database(tmp_path / "engine.db")
    with db.write() as conn:
        conn.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?, 'from the future')",
            (LATEST_VERSION + 1,),
        )
    db.close()
    line = _one_line(_run("sync", "--once", "--data-dir", str(tmp_path)))
    assert f"schema version {LATEST_VERSION + 1}, newer than this LocaNext" in line
    assert "Update LocaNext" in line


def test_the_app_without_a_display_says_to_open_its_link_in_a_browser(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    app = Child("app", ["app", "--no-sync", "--data-dir", str(tmp_path / "d")],
                tmp_path / "app.log", env)  # fmt: skip
    try:
        line = app.wait_line("LocaNext app: ")
    finally:
        app.stop()
    assert "(no display found, so no window: open the link in a browser;" in line


# --- central and the admin dashboard ------------------------------------------------------------
@pytest.fixture
def unused_database(pg_server: str) -> Iterator[str]:
    """The DSN of a database that does not exist yet (dropped after, if something made it)."""
    server = make_url(pg_server)
    name = f"locanext_test_{secrets.token_hex(6)}"
    yield server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _exists(pg_server: str, dsn: str) -> bool:
    admin = create_engine(pg_server, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            found = conn.execute(
                text("SELECT count(*) FROM pg_database WHERE datname = :name"),
                {"name": make_url(dsn).database},
            )
            return found.scalar_one() == 1
    finally:
        admin.dispose()


def test_central_creates_the_database_its_dsn_names_when_the_server_allows(
    tmp_path: Path, pg_server: str, unused_database: str
) -> None:
    admin = _one_line(_run("admin", "--dsn", unused_database, "--port", str(free_port())))
    assert f"database {make_url(unused_database).database!r} does not exist on" in admin
    assert "`locanext central` with this DSN creates it" in admin
    assert not _exists(pg_server, unused_database)
    port = free_port()
    central = Child("central", ["central", "--dsn", unused_database, "--port", str(port)],
                    tmp_path / "central.log")  # fmt: skip
    try:
        central.wait_http(f"http://127.0.0.1:{port}/api/health", timeout=120)
        assert central.wait_line("created database ").endswith(make_url(unused_database).database)
    finally:
        assert central.stop() == 0, central.tail()
    assert _exists(pg_server, unused_database)


@pytest.fixture
def role_without_createdb(pg_server: str) -> Iterator[tuple[str, str]]:
    """A login role that may not create databases, and its password."""
    name, password = f"locanext_test_{secrets.token_hex(4)}", secrets.token_hex(8)
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {name} LOGIN NOCREATEDB PASSWORD '{password}'"))
    yield name, password
    with admin.connect() as conn:
        conn.execute(text(f"DROP ROLE {name}"))
    admin.dispose()


def test_central_says_how_to_create_a_database_it_may_not_create(
    pg_server: str, unused_database: str, role_without_createdb: tuple[str, str]
) -> None:
    role, password = role_without_createdb
    url = make_url(unused_database).set(username=role, password=password)
    dsn = url.render_as_string(hide_password=False)
    line = _one_line(_run("central", "--dsn", dsn, "--port", str(free_port())))
    assert f"database {url.database!r} does not exist on {url.host}:{url.port or 5432}" in line
    assert f"user {role!r} cannot create it" in line
    assert line.endswith(f"createdb -h {url.host} -p {url.port or 5432} -O {role} {url.database}")
    assert password not in line and not _exists(pg_server, unused_database)


def test_central_and_admin_on_a_port_in_use_say_so_and_start_nothing(
    pg_server: str, unused_database: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for command in ("central", "admin"):
            result = _run(command, "--dsn", unused_database, "--port", port)
            line = _one_line(result)
            assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in line
            assert "--port" in line and result.stdout == ""  # no address announced
    assert not _exists(pg_server, unused_database)  # refused before anything started


def test_a_central_database_from_a_newer_locanext_is_left_alone(
    central_db: Engine, pg_dsn: str
) -> None:
    with central_db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    line = _one_line(_run("central", "--dsn", pg_dsn, "--port", str(free_port())))
    assert "schema revision 9999_from_the_future, written by a newer LocaNext" in line
    assert "update LocaNext" in line
    with central_db.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
            "9999_from_the_future"
        )


def test_central_with_an_unreachable_postgresql_names_it(tmp_path: Path) -> None:
    dsn = f"postgresql://locanext:s3cret@127.0.0.1:{free_port()}/central"
    line = _one_line(_run("central", "--dsn", dsn, "--port", str(free_port())))
    assert "cannot connect to PostgreSQL at 127.0.0.1:" in line and "is it running" in line
    assert "s3cret" not in line
