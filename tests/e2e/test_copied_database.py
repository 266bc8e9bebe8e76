"""A copied or restored engine.db is detected, not silently forked: with central serving over
real HTTP and every install step a `locanext` process, (1) a data folder copied to a second PC
(same site id and token, another machine) and (2) an engine.db restored from an older backup are
refused with `copied_database` before anything is pushed, `locanext sync` says what to do, and
`locanext rekey` then `locanext enroll` send every row of the copy under a new install id, while
the copies see each other's glossary edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from central.admin_client import session_headers
from engine.db import Database
from engine.glossary import Glossary
from shell.processes import run as locanext
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.e2e]
MACHINE = "LOCANEXT_APP_MACHINE_ID"


@pytest.fixture
def mina(central_url: str) -> str:
    response = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert response.status_code == 201, response.text
    return central_url


def _ok(*args: str, stdin: str | None = None) -> str:
    result = locanext(*args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _enroll(central_url: str, data: Path) -> str:
    return _ok(
        "enroll", "--central", central_url, "--user", "mina", "--password-stdin",
        "--data-dir", str(data), stdin="mina-password\n",
    )  # fmt: skip


def _run_tool(data: Path, tmp: Path, name: str) -> None:
    source = tmp / f"{name}.txt"
    source.write_text(f"{name}\n", encoding="utf-8")
    _ok("tool", "text_stats", str(source), "--data-dir", str(data))


def _local(data: Path, sql: str) -> set:
    db = Database(data / "engine.db")
    try:
        with db.read() as conn:
            return {row[0] for row in conn.execute(sql)}
    finally:
        db.close()


def _add_term(data: Path, source: str) -> None:
    db = Database(data / "engine.db")
    try:
        Glossary(db).add({"source": source, "translation": source.upper()})
    finally:
        db.close()


def _mirror(central_db: Engine, sql: str) -> set:
    with central_db.connect() as conn:
        return {row[0] for row in conn.execute(text(sql))}


def _refused(data: Path) -> str:
    result = locanext("sync", "--once", "--data-dir", str(data))
    assert result.returncode == 1, result.stdout
    assert "Copied database:" in result.stderr and "Re-key this PC" in result.stderr
    return result.stderr


def _rekey_and_enroll(central_url: str, data: Path) -> None:
    out = _ok("rekey", "--data-dir", str(data))
    assert "enroll again" in out
    _enroll(central_url, data)
    _ok("sync", "--once", "--data-dir", str(data))


OPS = "SELECT id FROM operations"


def test_a_copy_on_a_second_pc_is_refused_and_rekeyed_without_loss(
    mina: str, central_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pc_a, pc_b = tmp_path / "pc-a", tmp_path / "pc-b"
    monkeypatch.setenv(MACHINE, "pc-a")
    _enroll(mina, pc_a)
    _run_tool(pc_a, tmp_path, "before-copy")
    _add_term(pc_a, "shared before the copy")
    _ok("sync", "--once", "--data-dir", str(pc_a))
    shutil.copytree(pc_a, pc_b)  # the whole data folder: engine.db, token, nonces

    _run_tool(pc_a, tmp_path, "a-after-copy")
    _add_term(pc_a, "edited on a")
    _ok("sync", "--once", "--data-dir", str(pc_a))

    monkeypatch.setenv(MACHINE, "pc-b")
    _run_tool(pc_b, tmp_path, "b-after-copy")
    _add_term(pc_b, "edited on b")
    mirrored = _mirror(central_db, OPS)
    _refused(pc_b)
    assert _mirror(central_db, OPS) == mirrored  # nothing of the copy went in
    assert not _local(pc_b, OPS) <= mirrored
    [install_id] = _mirror(central_db, "SELECT install_id FROM enrollments")
    with central_db.connect() as conn:
        refusal = conn.execute(text("SELECT last_refusal_code FROM enrollments")).scalar_one()
    assert refusal == "copied_database"

    _rekey_and_enroll(mina, pc_b)
    monkeypatch.setenv(MACHINE, "pc-a")
    _ok("sync", "--once", "--data-dir", str(pc_a))  # the original goes on as before

    ops = _mirror(central_db, OPS)
    assert _local(pc_a, OPS) | _local(pc_b, OPS) == ops  # every run of both, once
    owners = _mirror(central_db, "SELECT DISTINCT install_id FROM operations")
    assert install_id in owners and len(owners) == 2
    terms = "SELECT source FROM glossary_terms"
    everything = {"shared before the copy", "edited on a", "edited on b"}
    assert _mirror(central_db, terms) == everything
    assert _local(pc_a, terms) == _local(pc_b, terms) == everything


def test_an_engine_db_restored_from_a_backup_is_refused_and_rekeyed_without_loss(
    mina: str, central_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MACHINE, "pc-a")
    data, backup = tmp_path / "pc", tmp_path / "backup.db"
    _enroll(mina, data)
    _run_tool(data, tmp_path, "before-backup")
    _ok("sync", "--once", "--data-dir", str(data))
    shutil.copy(data / "engine.db", backup)  # the app is closed: one file holds it all
    for n in range(3):
        _run_tool(data, tmp_path, f"lost-locally-{n}")
    _add_term(data, "made after the backup")
    _ok("sync", "--once", "--data-dir", str(data))
    synced = _mirror(central_db, OPS)

    shutil.copy(backup, data / "engine.db")  # restored
    _run_tool(data, tmp_path, "after-restore")
    stderr = _refused(data)
    assert "restored from an older copy" in stderr
    assert _mirror(central_db, OPS) == synced
    with central_db.connect() as conn:  # the admins see it with the install's sync health
        refusal = conn.execute(text("SELECT last_refusal_code FROM enrollments")).scalar_one()
    assert refusal == "restored_database"

    _rekey_and_enroll(mina, data)
    ops = _mirror(central_db, OPS)
    assert _local(data, OPS) <= ops and ops == synced | _local(data, OPS)
    # The restored PC gets back, from central, the shared edits of its lost days.
    assert "made after the backup" in _local(data, "SELECT source FROM glossary_terms")
