"""`locanext users`, `announce` and `release` as an administrator meets them: real processes
against central over real HTTP, tables for lists, one-line refusals and a non-zero exit."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine, text

from shell.processes import run as locanext
from tests.conftest import ADMIN_PASSWORD

PW = ADMIN_PASSWORD + "\n"


def _ok(*args: str, stdin: str = PW) -> str:
    result = locanext(*args, "--password-stdin", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _refused(*args: str, stdin: str = PW) -> str:
    result = locanext(*args, stdin=stdin)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def _signs_in(url: str, username: str, password: str) -> bool:
    response = httpx.post(
        f"{url}/api/admin/session", json={"username": username, "password": password}
    )
    return response.status_code == 200


def _rows(table: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]


def test_users_commands_manage_a_team(central_url: str) -> None:
    at = ("--central", central_url)
    added = _ok("users", "add", "lee", "--role", "lead", "--team", "KO", *at)
    assert "created user lee (lead)" in added
    password = re.search(r"password: (\S+)", added).group(1)
    assert _signs_in(central_url, "lee", password)
    chosen = _ok("users", "add", "mina", "--new-password-stdin", *at, stdin=PW + "mina-password\n")
    assert chosen.strip() == "created user mina (translator)"  # no password printed
    _ok("users", "edit", "mina", "--team", "KO-EN", "--display-name", "Mina Park", *at)
    _ok("users", "disable", "mina", *at)
    assert _rows(_ok("users", "list", *at)) == [
        ["user", "name", "team", "language", "role", "state"],
        ["admin", "Administrator", "admin", "active"],  # empty team and language
        ["lee", "lee", "KO", "lead", "active"],
        ["mina", "Mina Park", "KO-EN", "translator", "disabled"],
    ]
    _ok("users", "enable", "mina", *at)
    reset = _ok(
        "users",
        "reset-password",
        "lee",
        "--new-password-stdin",
        *at,
        stdin=PW + "lee-second-password\n",
    )
    assert "set" in reset
    assert not _signs_in(central_url, "lee", password)
    assert _signs_in(central_url, "lee", "lee-second-password")
    generated = _ok("users", "reset-password", "lee", *at)
    assert _signs_in(central_url, "lee", generated.split(": ")[-1].strip())
    assert "deleted mina" in _ok("users", "delete", "mina", "--yes", *at)
    assert [row[0] for row in _rows(_ok("users", "list", *at))] == ["user", "admin", "lee"]


def test_admin_commands_refuse_in_one_line(central_url: str, tmp_path) -> None:
    at = ("--central", central_url, "--password-stdin")
    wrong = _refused("users", "list", *at, stdin="not-it\n")
    assert wrong == "error: wrong user name or password (401 wrong_credentials)"
    assert _refused("users", "edit", "nobody", "--team", "x", *at) == (
        "error: no user 'nobody' (404 not_found)"
    )
    assert "nothing to change" in _refused("users", "edit", "admin", *at)
    assert "cannot disable their own account (409 conflict)" in _refused(
        "users", "disable", "admin", *at
    )
    assert "must start with https:// or http://" in _refused(
        "release", "publish", "3.0", "--url", "javascript:alert(1)", *at
    )
    nowhere = _refused("users", "list", "--central", "http://127.0.0.1:9", "--password-stdin")
    assert nowhere.startswith("error: cannot reach central at http://127.0.0.1:9")
    assert "expected the password" in _refused("users", "list", *at, stdin="")


def test_announcements_and_releases_from_the_command_line(central_url: str) -> None:
    at = ("--central", central_url)
    created = _ok(
        "announce",
        "create",
        "Server move",
        "--body",
        "Friday 18:00",
        "--level",
        "warning",
        "--expires",
        "2031-01-01T09:00+09:00",
        *at,
    )
    key = re.search(r"published announcement (\S+)", created).group(1)
    [header, row] = _rows(_ok("announce", "list", *at))
    assert header == ["id", "level", "created", "expires", "title"]
    assert (row[0], row[1], row[3], row[4]) == (key, "warning", "2031-01-01 00:00", "Server move")
    assert f"withdrew announcement {key}" in _ok("announce", "withdraw", key, *at)
    assert _rows(_ok("announce", "list", *at)) == [header]
    url = "https://dl.example/2.1.0"
    published = _ok("release", "publish", "2.1.0", "--url", url, "--required", *at)
    assert "published release 2.1.0 (required)" in published
    [_, release] = _rows(_ok("release", "list", *at))
    assert (release[0], release[1], release[-1]) == ("2.1.0", "yes", url)
    assert "withdrew release 2.1.0" in _ok("release", "withdraw", "2.1.0", *at)
    gone = _refused("release", "withdraw", "2.1.0", *at, "--password-stdin")
    assert gone.endswith("(404 not_found)")


def test_the_central_url_comes_from_the_environment_and_the_session_ends(
    central_url: str, central_db: Engine, monkeypatch
) -> None:
    monkeypatch.setenv("LOCANEXT_CENTRAL_URL", central_url)
    assert _rows(_ok("users", "list"))[1][0] == "admin"
    with central_db.connect() as conn:  # signed in once, signed out at the end
        assert conn.execute(text("SELECT count(*) FROM staff_sessions")).scalar_one() == 0


@pytest.mark.parametrize("group", ["users", "announce", "release"])
def test_admin_command_help_explains_itself(group: str) -> None:
    result = locanext(group, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout
