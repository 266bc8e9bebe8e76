"""engine.db: migrations create the CRRs, bad files are refused clearly, failures leave nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import migrations, schema, sync_state
from engine.db import Database
from engine.errors import DatabaseUnusable
from engine.operations import OperationLog


def test_new_database_has_replicated_and_local_tables(make_db) -> None:
    db = make_db()
    with db.read() as conn:
        crrs = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%__crsql_clock'"
            )
        }
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert crrs == {f"{t}__crsql_clock" for t in schema.REPLICATED_TABLES}
    assert {"settings", "sync_state", "schema_migrations"} <= tables
    assert journal == "wal"
    assert len(db.site_id) == 16


def test_reopening_keeps_site_id_and_data(tmp_path: Path) -> None:
    db = Database(tmp_path / "engine.db")
    site = db.site_id
    op = OperationLog(db).start(tool="t", function="f", username="u")
    db.close()
    db = Database(tmp_path / "engine.db")
    try:
        assert db.site_id == site
        assert [r["id"] for r in OperationLog(db).recent()] == [op]
    finally:
        db.close()


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "engine.db"
    path.write_bytes(b"this is a spreadsheet, not a database" * 100)
    before = path.read_bytes()
    with pytest.raises(DatabaseUnusable, match="not a usable LocaNext database"):
        Database(path)
    assert path.read_bytes() == before


def test_a_database_from_a_newer_locanext_is_refused(tmp_path: Path) -> None:
    Database(tmp_path / "engine.db").close()
    import pysqlite3.dbapi2 as sqlite3

    conn = sqlite3.connect(tmp_path / "engine.db")
    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseUnusable, match="newer than this LocaNext"):
        Database(tmp_path / "engine.db")


def test_a_failing_migration_leaves_nothing_half_applied(tmp_path: Path, monkeypatch) -> None:
    good = migrations.LATEST_VERSION

    def broken(conn) -> None:
        conn.execute("CREATE TABLE half_done (id TEXT PRIMARY KEY)")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setattr(
        migrations,
        "MIGRATIONS",
        (*migrations.MIGRATIONS, migrations.Migration(good + 1, "broken", broken)),
    )
    monkeypatch.setattr(migrations, "LATEST_VERSION", good + 1)
    with pytest.raises(DatabaseUnusable):
        Database(tmp_path / "engine.db")
    import pysqlite3.dbapi2 as sqlite3

    conn = sqlite3.connect(tmp_path / "engine.db")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    conn.close()
    assert "half_done" not in names
    assert versions == list(range(1, good + 1))  # the broken one left no trace


def test_a_write_that_fails_is_rolled_back(make_db) -> None:
    db = make_db()
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')")
        raise RuntimeError("crash in the middle of a unit of work")
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0


def test_a_local_only_migration_keeps_the_replicated_schema_version(
    tmp_path: Path, monkeypatch
) -> None:
    """Migration 3 adds the failure kind to sync_state: an install updated from version 2 gets
    the columns, drops the error it cannot classify, and still pushes replicated schema 2."""
    with monkeypatch.context() as patched:
        patched.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:2])
        db = Database(tmp_path / "engine.db")
        with db.write() as conn:
            conn.execute("UPDATE sync_state SET last_error = 'central refused the request'")
        db.close()
    db = Database(tmp_path / "engine.db")
    try:
        with db.read() as conn:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(sync_state)")}
            status = sync_state.status(conn)
            applied = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    finally:
        db.close()
    assert {"last_error_kind", "last_error_code", "last_error"} <= columns
    assert status.last_failure is None
    assert applied == [m.version for m in migrations.MIGRATIONS]
    assert not migrations.MIGRATIONS[2].replicated
    assert migrations.SCHEMA_VERSION == 2 < migrations.MIGRATIONS[-1].version


def test_sync_state_keeps_the_kind_of_the_last_failure(make_db) -> None:
    db = make_db()
    refused = sync_state.SyncFailure(
        sync_state.FailureKind.REFUSED, "no such table", "bad_changeset"
    )
    with db.write() as conn:
        sync_state.record_failure(conn, refused)
    with db.read() as conn:
        status = sync_state.status(conn)
    assert status.last_failure == refused and status.online  # central answered
    with db.write() as conn:
        sync_state.record_failure(
            conn, sync_state.SyncFailure(sync_state.FailureKind.UNREACHABLE, "connection refused")
        )
    with db.read() as conn:
        status = sync_state.status(conn)
    assert status.last_failure.kind is sync_state.FailureKind.UNREACHABLE
    assert status.last_failure.code is None and not status.online
    assert status.as_dict()["last_failure"] == {
        "kind": "unreachable",
        "detail": "connection refused",
        "code": None,
    }
    with db.write() as conn:
        conn.execute("UPDATE sync_state SET last_error_kind = 'from_a_later_version'")
    with db.read() as conn:
        assert sync_state.status(conn).last_failure.kind is sync_state.FailureKind.REFUSED
    with db.write() as conn:
        sync_state.record_success(conn)
    with db.read() as conn:
        status = sync_state.status(conn)
    assert status.last_failure is None and status.online
