"""Files the engine writes and serves: results get the permissions any new file would get (the
umask decides, not a private 0600), a download is refused when its path no longer holds the file
the run wrote (a symbolic link or another file swapped in), and engine.db opens where its path
says even when a folder name holds URI characters."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine import crsqlite
from engine.db import Database
from engine.formats import atomic_output
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from engine.tools.reports import write_report
from shell.processes import command
from tests import engine_api


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_result_gets_the_umasks_permissions(tmp_path: Path, umask: None) -> None:
    for mask, expected in ((0o022, 0o644), (0o002, 0o664), (0o077, 0o600)):
        os.umask(mask)
        target = tmp_path / f"report_{mask:o}.tsv"
        write_report(target, ["a"], [["1"]])
        assert _mode(target) == expected, f"umask {mask:o}"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_replaced_result_keeps_the_files_permissions(tmp_path: Path, umask: None) -> None:
    target = tmp_path / "shared.txt"
    target.write_text("old\n")
    target.chmod(0o664)
    os.umask(0o077)
    with atomic_output(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n" and _mode(target) == 0o664


def test_a_tool_run_from_the_command_line_writes_a_shareable_report(tmp_path: Path) -> None:
    source = tmp_path / "ui_ko.txt"
    source.write_text("시작하기\n", encoding="utf-8")
    report = tmp_path / "out" / "report.tsv"
    args = ["tool", "text_stats", str(source), "-p", f"report={report}"]
    done = subprocess.run(
        ["sh", "-c", 'umask 002 && exec "$@"', "sh", *command(*args, "--data-dir", str(tmp_path))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert _mode(report) == 0o664  # colleagues of the group can open it


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, httpx.Client, Path]]:
    """The engine's API with one finished run whose output is ``report.tsv``."""
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "app", username="mina"))
    try:
        url = runtime.serve(with_ui=False)
        source = tmp_path / "ui_ko.txt"
        source.write_text("시작하기\n설정\n", encoding="utf-8")
        report = tmp_path / "report.tsv"
        with engine_api.client(tmp_path / "app") as api:
            run = api.post(
                f"{url}/api/tools/text_stats/run",
                json={"inputs": [str(source)], "params": {"report": str(report)}},
            ).json()
            assert run["status"] == "succeeded", run
            yield f"{url}/api/tasks/{run['operation_id']}/outputs/0", api, report
    finally:
        runtime.close()


def test_a_download_serves_the_file_the_run_wrote(served: tuple[str, httpx.Client, Path]) -> None:
    url, api, report = served
    download = api.get(url)
    assert download.status_code == 200 and download.content == report.read_bytes()
    assert download.headers["content-disposition"] == 'attachment; filename="report.tsv"'
    assert int(download.headers["content-length"]) == report.stat().st_size


def test_a_symbolic_link_swapped_in_after_the_run_is_not_followed(
    served: tuple[str, httpx.Client, Path], tmp_path: Path
) -> None:
    url, api, report = served
    secret = tmp_path / "private" / "id_ed25519"
    secret.parent.mkdir()
    secret.write_text("PRIVATE KEY MATERIAL\n")
    report.unlink()
    report.symlink_to(secret)
    refused = api.get(url)
    assert (refused.status_code, refused.json()["code"]) == (409, "output_replaced")
    assert b"PRIVATE" not in refused.content
    opened = api.post(url + "/open")  # nor handed to the desktop to open
    assert (opened.status_code, opened.json()["code"]) == (409, "output_replaced")


def test_another_file_put_in_its_place_is_not_served(
    served: tuple[str, httpx.Client, Path], tmp_path: Path
) -> None:
    url, api, report = served
    other = tmp_path / "other.tsv"
    other.write_text("a colleague's notes\n")
    os.replace(other, report)
    refused = api.get(url)
    assert (refused.status_code, refused.json()["code"]) == (409, "output_replaced")
    assert b"colleague" not in refused.content
    report.unlink()
    gone = api.get(url)
    assert (gone.status_code, gone.json()["code"]) == (404, "no_such_output")


@pytest.mark.parametrize("folder", ["a#b", "x?mode=ro", "100%20sure", "we ird#?%"])
def test_engine_db_opens_where_its_path_says(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder / "engine.db"
    db = Database(path)
    try:
        with db.write() as conn:
            conn.execute("INSERT INTO settings (key, value) VALUES ('probe', 'here')")
    finally:
        db.close()
    assert path.is_file() and path.stat().st_size > 0
    # nothing was created under a truncated or decoded name
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]
    reopened = Database(path)
    try:
        with reopened.read() as conn:
            assert conn.execute("SELECT value FROM settings WHERE key = 'probe'").fetchone() == (
                "here",
            )
    finally:
        reopened.close()


def test_memory_is_still_an_in_memory_database(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    conn = crsqlite.connect(":memory:")
    crsqlite.close(conn)
    assert list(tmp_path.iterdir()) == []
