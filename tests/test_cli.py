"""The `locanext` command line as a user meets it: help that explains, clear refusals."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import grimp
import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy import text as sql

from central.admin_client import session_headers
from engine.db import Database
from engine.operations import OperationLog
from shell import processes
from shell.processes import Child, free_port
from shell.processes import run as locanext
from tests.central.test_sync_api import _create_user

SYNC_INTERVAL = "LOCANEXT_APP_SYNC_INTERVAL"


def test_help_lists_and_explains_every_command() -> None:
    result = locanext("--help")
    assert result.returncode == 0
    for command in ("demo", "app", "central", "admin", "enroll", "sync", "tool", "fuzz"):
        assert command in result.stdout
    for command in ("app", "central", "admin", "enroll", "sync", "demo", "tool", "fuzz"):
        sub = locanext(command, "--help")
        assert sub.returncode == 0, sub.stderr
        assert "Usage" in sub.stdout and len(sub.stdout) > 200


def test_app_refuses_a_corrupt_database_with_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "engine.db").write_bytes(b"\x00garbage" * 1000)
    result = locanext("app", "--headless", "--data-dir", str(tmp_path), timeout=60)
    assert result.returncode == 1
    assert "not a usable LocaNext database" in result.stderr
    assert "Traceback" not in result.stderr


def test_tool_records_a_run_and_fails_loudly_on_bad_input(tmp_path: Path) -> None:
    text = tmp_path / "strings.txt"
    text.write_text("하나\n둘\n", encoding="utf-8")
    ok = locanext("tool", "text_stats", str(text), "--data-dir", str(tmp_path / "d"))
    assert ok.returncode == 0, ok.stderr
    assert "text_stats.count: files 1 · lines 2 · characters 5" in ok.stdout
    assert "text_stats.count succeeded in" in ok.stderr
    bad = locanext(
        "tool", "text_stats", str(tmp_path / "missing.txt"), "--data-dir", str(tmp_path / "d")
    )
    assert bad.returncode == 1
    assert "text_stats failed: " in bad.stderr and "missing.txt: file not found" in bad.stderr
    unknown = locanext("tool", "nope", "--data-dir", str(tmp_path / "d"))
    assert unknown.returncode == 1 and "unknown tool 'nope'" in unknown.stderr


def test_fuzz_refuses_what_it_cannot_run_with_one_line(tmp_path: Path) -> None:
    not_replay = tmp_path / "replay.json"
    not_replay.write_text('{"plan": {}}', encoding="utf-8")
    for args, message in [
        (["--mutation", "nope"], "error: unknown mutation 'nope'; one of last-writer-wins-ties, "),
        (["--replay", str(not_replay)], "not a replay file written by locanext fuzz"),
        (["--replay", str(tmp_path / "missing.json")], "not a replay file"),
        (["--dsn", "mysql://root@127.0.0.1/x"], "error: not a PostgreSQL URL"),
        (
            ["--dsn", "postgresql://fuzz:secret@127.0.0.1:1/postgres"],
            "error: cannot create a scratch database on postgresql+psycopg://fuzz:***@127.0.0.1:1",
        ),
    ]:
        result = locanext("fuzz", *args)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
        assert "secret" not in result.stderr


@pytest.mark.slow
def test_tool_shows_progress_and_ctrl_c_cancels_the_run(tmp_path: Path) -> None:
    source = tmp_path / "big_ko.txt"
    source.write_text("전설의 검을 찾아라 {0} abcdefghij\n" * 400_000, encoding="utf-8")
    report, data = tmp_path / "report.tsv", tmp_path / "d"
    args = ["tool", "text_stats", *[str(source)] * 500, "-p", f"report={report}"]
    tool = subprocess.Popen(
        processes.command(*args, "--data-dir", str(data)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        progress = ""
        while not re.search(
            r"text_stats\.count: [1-9]\d*/500 · big_ko\.txt · [\d.]+/s · ETA", progress
        ):
            line = tool.stderr.readline()
            assert line, f"no progress line before exit: {progress!r}"
            progress = line
        tool.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
        out, err = tool.communicate(timeout=60)
    finally:
        if tool.poll() is None:
            tool.kill()
            tool.wait()
    assert tool.returncode == 130, err
    assert "cancelling" in err and "error: text_stats cancelled (operation" in err
    assert "Traceback" not in err and out == ""
    assert not report.exists() and not list(tmp_path.glob(".report.tsv.*"))
    db = Database(data / "engine.db")
    try:
        [row] = OperationLog(db).recent()
    finally:
        db.close()
    assert row["status"] == "cancelled" and len(json.loads(row["input_files"])) == 500


def test_enroll_and_sync_once_from_the_command_line(tmp_path: Path, central_url: str) -> None:
    _create_user(central_url, "jun", "jun-password")
    data = str(tmp_path / "d")
    not_yet = locanext("sync", "--once", "--data-dir", data)
    assert not_yet.returncode == 1 and "not enrolled" in not_yet.stderr
    enroll = ["enroll", "--central", central_url, "--user", "jun", "--password-stdin"]
    wrong = locanext(*enroll, "--data-dir", data, stdin="wrong\n")
    assert wrong.returncode == 1 and "wrong user name or password" in wrong.stderr
    enrolled = locanext(*enroll, "--data-dir", data, stdin="jun-password\n")
    assert enrolled.returncode == 0, enrolled.stderr
    text = tmp_path / "a.txt"
    text.write_text("x\n", encoding="utf-8")
    assert locanext("tool", "text_stats", str(text), "--data-dir", data).returncode == 0
    synced = locanext("sync", "--once", "--data-dir", data)
    assert synced.returncode == 0, synced.stderr
    assert "pushed" in synced.stdout and "pushed 0" not in synced.stdout
    again = locanext("sync", "--once", "--data-dir", data)
    assert "pushed 0 changes, pulled 0" in again.stdout


def test_sync_loop_runs_at_the_interval_its_setting_says(
    tmp_path: Path, central_url: str, central_db: Engine
) -> None:
    _create_user(central_url, "jun", "jun-password")
    data = str(tmp_path / "d")
    enroll = ["enroll", "--central", central_url, "--user", "jun", "--password-stdin"]
    assert locanext(*enroll, "--data-dir", data, stdin="jun-password\n").returncode == 0
    syncing = Child(
        "sync", ["sync", "--data-dir", data], tmp_path / "sync.log", {SYNC_INTERVAL: "0.3"}
    )
    try:
        syncing.wait_line("syncing every 0.3 s")
        text_file = tmp_path / "a.txt"
        text_file.write_text("x\n", encoding="utf-8")
        # Another process writes, so only the loop's own timer can pick the change up.
        assert locanext("tool", "text_stats", str(text_file), "--data-dir", data).returncode == 0
        deadline = time.monotonic() + 60
        while _mirrored_operations(central_db) == 0:
            assert time.monotonic() < deadline, "the run never reached central"
            time.sleep(0.2)
    finally:
        assert syncing.stop() == 0, syncing.tail()
    given = Child(
        "sync", ["sync", "--interval", "7", "--data-dir", data], tmp_path / "sync2.log",
        {SYNC_INTERVAL: "0.3"},
    )  # fmt: skip
    try:
        given.wait_line("syncing every 7 s")  # the option wins over the variable
    finally:
        given.stop()


def _mirrored_operations(central_db: Engine) -> int:
    with central_db.connect() as conn:
        return int(conn.execute(sql("SELECT count(*) FROM operations")).scalar_one())


def test_central_and_admin_listen_and_read_where_their_variables_say(
    tmp_path: Path, pg_dsn: str
) -> None:
    central_port, admin_port = free_port(), free_port()
    env = {"LOCANEXT_CENTRAL_DSN": pg_dsn, "LOCANEXT_CENTRAL_ADMIN_PASSWORD": "env-admin-pass"}
    central = Child(
        "central", ["central"], tmp_path / "central.log",
        {**env, "LOCANEXT_CENTRAL_PORT": str(central_port)},
    )  # fmt: skip
    admin = Child(
        "admin", ["admin"], tmp_path / "admin.log",
        {
            **env,
            "LOCANEXT_ADMIN_PORT": str(admin_port),
            "LOCANEXT_CENTRAL_URL": f"http://127.0.0.1:{central_port}",
        },
    )  # fmt: skip
    try:
        central.wait_http(f"http://127.0.0.1:{central_port}/api/health", timeout=120)
        assert central.wait_line("LocaNext central: ").startswith(
            f"LocaNext central: http://127.0.0.1:{central_port}/"
        )
        url = f"http://127.0.0.1:{central_port}"
        signed_in = httpx.get(
            f"{url}/api/admin/conflicts", headers=session_headers(url, "admin", "env-admin-pass")
        )
        assert signed_in.status_code == 200  # the password came from its variable
        admin.wait_http(f"http://127.0.0.1:{admin_port}/api/health", timeout=120)
        listed = f"http://127.0.0.1:{admin_port}/api/operations"
        assert httpx.get(listed).status_code == 401  # the console wants a session
        staff = session_headers(url, "admin", "env-admin-pass")  # checked at central's URL
        assert httpx.get(listed, headers=staff).json() == {"rows": [], "next": None}
    finally:
        admin.stop()
        central.stop()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["sync", "--once"], {SYNC_INTERVAL: "often"}, "invalid setting sync_interval"),
        (["sync", "--interval", "0"], {}, "invalid setting sync_interval"),
        (["central"], {"LOCANEXT_CENTRAL_PORT": "0"}, "invalid setting port"),
        (["central", "--dsn", "sqlite:///central.db"], {}, "not a PostgreSQL URL"),
        (["admin", "--dsn", "mysql://root:s3cret@db/x"], {}, "not a PostgreSQL URL"),
    ],
)
def test_a_bad_setting_stops_the_command_with_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        processes.command(*args, *(["--data-dir", str(tmp_path)] if args[0] == "sync" else [])),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr


def test_import_boundaries_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_back() -> None:
    """The contracts above check packages; this checks single modules, including a package's
    ``__init__`` and its own children, and imports hidden in functions or TYPE_CHECKING blocks."""
    config = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    graph = grimp.build_graph(*config["tool"]["importlinter"]["root_packages"])
    cycles = [
        (importer, imported)
        for importer in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(importer))
        if graph.chain_exists(importer=imported, imported=importer)
    ]
    assert cycles == []
