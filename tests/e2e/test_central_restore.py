"""Central restored from a backup, or wiped, with real processes: central runs as `locanext
central`, the backup is `pg_dump -Fc` and the restore `pg_restore --clean` while central is
stopped, then central starts once with `--restored` (a new epoch); a wiped central is a new,
empty database (a new epoch too). Installs that synced past the backup send again what
central lost and pull everything again; the mirror and every install then equal a cr-sqlite hub
that received every install's own changes, with nothing lost and nothing doubled."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import make_url

from central.db import normalize_dsn, scratch_database
from engine import sync_state
from engine.sync_state import FailureKind
from replicator import link
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from shell.processes import Child, free_port
from tests.central.test_merge_matches_crsqlite import _hub_of, _mirror_state_at
from tests.e2e.faultproxy import FaultProxy
from tests.e2e.test_replication_faults import ADMIN_PASSWORD, _user

pytestmark = [pytest.mark.e2e]
INS = "INSERT INTO glossary_terms (id, source, translation, game) VALUES (?, ?, ?, ?)"


def _start(tmp_path: Path, pg_dsn: str, port: int, *extra: str) -> Child:
    child = Child(
        "central",
        ["central", "--dsn", pg_dsn, "--port", str(port), *extra],
        tmp_path / "central.log",
        {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    child.wait_http(f"http://127.0.0.1:{port}/api/health")
    return child


def _libpq(pg_dsn: str) -> str:
    url = make_url(normalize_dsn(pg_dsn)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _write(db, sql: str, *args) -> None:
    with db.write() as conn:
        conn.execute(sql, args)


def _rows(db) -> list[tuple]:
    with db.read() as conn:
        rows = conn.execute(
            "SELECT id, source, translation, game, language, note FROM glossary_terms ORDER BY id"
        ).fetchall()
    return [tuple(r) for r in rows]


def test_a_restored_central_converges_with_its_installs_like_a_hub(
    tmp_path: Path, pg_dsn: str, make_db
) -> None:
    # Installs reach central through a clean proxy, so the restarted central may take any port
    # (a port given back can be taken by another process meanwhile).
    proxy = FaultProxy(0, seed=0)
    proxy.faulty = False
    port = proxy.target_port = free_port()
    url = proxy.start()
    central = _start(tmp_path, pg_dsn, port)
    try:
        for name in ("mina", "joon"):
            _user(url, name)
        a, b = make_db("mina"), make_db("joon")
        link.enroll(a, url, "mina", "mina-password", "pc-a")
        link.enroll(b, url, "joon", "joon-password", "pc-b")
        for i in range(1, 4):
            _write(a, INS, f"t{i}", f"원문 {i}", "first", "g1")
        for db in (a, b, a):
            sync_once(db)
        _write(b, "UPDATE glossary_terms SET translation = 'edited by b' WHERE id = 't1'")
        for db in (b, a):
            sync_once(db)
        with a.read() as conn:
            epoch = sync_state.epoch(conn)
        assert epoch

        dump = tmp_path / "central.dump"
        subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _libpq(pg_dsn)], check=True)

        # What central merges after the backup, and loses in the restore.
        _write(a, "UPDATE glossary_terms SET translation = 'after the backup' WHERE id = 't2'")
        _write(a, INS, "t4", "새 용어", "new term", "g2")
        _write(b, INS, "t5", "또 다른", "another", "g2")
        _write(b, "DELETE FROM glossary_terms WHERE id = 't3'")
        for db in (a, b, a, b):
            sync_once(db)

        central.stop()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "-d", _libpq(pg_dsn), str(dump)], check=True
        )
        port = proxy.target_port = free_port()
        central = _start(tmp_path, pg_dsn, port, "--restored")

        _write(b, "UPDATE glossary_terms SET note = 'after the restore' WHERE id = 't4'")
        for db in (a, b, a, b):
            sync_once(db)
        with a.read() as conn:
            assert sync_state.epoch(conn) not in (None, epoch)  # the install saw the restore

        hub = _hub_of(make_db("hub"), (a, b))
        assert _mirror_state_at(pg_dsn) == hub
        expected = hub[0]
        assert [r[0] for r in expected] == ["t1", "t2", "t4", "t5"]
        assert _rows(a) == _rows(b) == expected
    finally:
        central.stop()
        proxy.stop()


def test_a_wiped_central_gets_back_what_its_installs_wrote(
    tmp_path: Path, pg_dsn: str, pg_server: str, make_db
) -> None:
    """A new, empty central at the same address: the installs are refused (their tokens are
    unknown), sign in again, see the new epoch, and send everything of theirs again."""
    proxy = FaultProxy(0, seed=0)
    proxy.faulty = False
    port = proxy.target_port = free_port()
    url = proxy.start()
    central = _start(tmp_path, pg_dsn, port)
    try:
        for name in ("mina", "joon"):
            _user(url, name)
        a, b = make_db("mina"), make_db("joon")
        link.enroll(a, url, "mina", "mina-password", "pc-a")
        link.enroll(b, url, "joon", "joon-password", "pc-b")
        for i in range(1, 4):
            _write(a, INS, f"t{i}", f"원문 {i}", "first", "g1")
        _write(b, INS, "t9", "다른", "other", "g9")
        for db in (a, b, a):
            sync_once(db)
        _write(a, "UPDATE glossary_terms SET note = 'seen by b' WHERE id = 't9'")
        for db in (a, b):
            sync_once(db)
        central.stop()

        with scratch_database(pg_server, "locanext_wiped") as wiped:
            port = proxy.target_port = free_port()
            central = _start(tmp_path, wiped, port)
            for name in ("mina", "joon"):  # the administrator makes the users again
                _user(url, name)
            for db in (a, b):
                with pytest.raises(CentralRejected) as refused:
                    sync_once(db)
                assert refused.value.kind is FailureKind.UNAUTHORIZED
            link.enroll(a, url, "mina", "mina-password", "pc-a")
            link.enroll(b, url, "joon", "joon-password", "pc-b")
            _write(b, "UPDATE glossary_terms SET translation = 'after the wipe' WHERE id = 't2'")
            for db in (a, b, a, b):
                sync_once(db)

            hub = _hub_of(make_db("hub"), (a, b))
            assert _mirror_state_at(wiped) == hub
            central.stop()
        expected = hub[0]
        assert [r[0] for r in expected] == ["t1", "t2", "t3", "t9"]
        assert _rows(a) == _rows(b) == expected
    finally:
        central.stop()
        proxy.stop()
