"""A backlog of large changes never wedges sync, with real processes: a `locanext central` on
PostgreSQL with a small body limit, and `locanext sync --once` on a real engine.db.

The backlog is much larger than one push in total while each change is well under it: hundreds of
60 KB glossary notes written one transaction each, one transaction of them larger than a push, a
value at the engine's largest, and small changes between them. Everything reaches the mirror once
and equals the install's copy; a second install pulls the same."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from central.admin_client import session_headers
from central.db import normalize_dsn
from engine.db import MAX_VALUE_BYTES, Database
from replicator import link
from replicator.loop import sync_once
from replicator.wire import MIN_BODY_BYTES
from shell.processes import Child, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_PASSWORD = "backlog-admin-password"
NOTE_CHARS = 60_000
SEPARATE_TERMS = 300  # each its own transaction: about 17.6 MB, more than two pushes
TERMS_IN_ONE_TRANSACTION = 150  # about 8.8 MB in one version: larger than a push of 8 MiB


def _central(tmp_path: Path, pg_dsn: str) -> tuple[Child, str]:
    port = free_port()
    env = {
        "LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOCANEXT_CENTRAL_MAX_BODY_BYTES": str(MIN_BODY_BYTES),
    }
    child = Child(
        "central", ["central", "--dsn", pg_dsn, "--port", str(port)], tmp_path / "c.log", env
    )
    url = f"http://127.0.0.1:{port}"
    child.wait_http(f"{url}/api/health")
    return child, url


def _user(url: str, name: str) -> None:
    response = httpx.post(
        f"{url}/api/admin/users",
        json={"username": name, "password": f"{name}-password"},
        headers=session_headers(url, "admin", ADMIN_PASSWORD),
    )
    assert response.status_code == 201, response.text


def _note() -> str:
    return secrets.token_hex(NOTE_CHARS // 2)


def _add(conn, term_id: str, note: str) -> None:
    conn.execute(
        "INSERT INTO glossary_terms (id, source, translation, note) VALUES (?, ?, ?, ?)",
        (term_id, f"원문 {term_id}", f"translation {term_id}", note),
    )


def _write_backlog(db: Database) -> None:
    for i in range(SEPARATE_TERMS):
        with db.write() as conn:
            _add(conn, f"big-{i:03}", _note())
        if i % 50 == 0:  # small changes between the large ones
            with db.write() as conn:
                _add(conn, f"small-{i:03}", "short note")
        if i == 120:  # a value at the engine's largest, alone in its transaction
            with db.write() as conn:
                _add(conn, "largest", "x" * MAX_VALUE_BYTES)
        if i == 200:  # one transaction larger than a push, then edits of earlier terms
            with db.write() as conn:
                for j in range(TERMS_IN_ONE_TRANSACTION):
                    _add(conn, f"bulk-{j:03}", _note())
            with db.write() as conn:
                conn.execute("UPDATE glossary_terms SET note = 'edited' WHERE id = 'big-007'")
                conn.execute("DELETE FROM glossary_terms WHERE id = 'small-050'")


def _terms(rows) -> dict[str, tuple[str, str, str]]:
    """id -> (source, translation, digest of the note): notes compared without holding them."""
    return {r[0]: (r[1], r[2], hashlib.sha256(r[3].encode()).hexdigest()) for r in rows}


def _install_terms(db: Database) -> dict:
    with db.read() as conn:
        return _terms(conn.execute("SELECT id, source, translation, note FROM glossary_terms"))


def _install_clocks(db: Database) -> set:
    with db.read() as conn:
        rows = conn.execute(
            "SELECT pk, cid, col_version, cl FROM crsql_changes WHERE \"table\" = 'glossary_terms'"
        )
        return {(bytes(pk), cid, cv, cl) for pk, cid, cv, cl in rows}


def test_a_backlog_of_large_changes_reaches_the_mirror_exactly_once(
    tmp_path: Path, pg_dsn: str, make_db
) -> None:
    central, url = _central(tmp_path, pg_dsn)
    mirror = create_engine(normalize_dsn(pg_dsn), poolclass=NullPool)
    try:
        _user(url, "mina")
        data = tmp_path / "pc"
        db = Database(data / "engine.db")
        link.enroll(db, url, "mina", "mina-password", "pc")
        _write_backlog(db)
        expected, clocks = _install_terms(db), _install_clocks(db)
        with db.read() as conn:
            last_version = conn.execute("SELECT crsql_db_version()").fetchone()[0]
        db.close()
        # six small terms (one deleted again) and the largest value besides the large ones
        assert len(expected) == SEPARATE_TERMS + TERMS_IN_ONE_TRANSACTION + 6 - 1 + 1

        sync = Child("sync", ["sync", "--once", "--data-dir", str(data)], tmp_path / "sync.log")
        assert sync.process.wait(300) == 0, sync.tail()
        sync.stop()

        with mirror.connect() as conn:
            rows = conn.execute(text("SELECT id, source, translation, note FROM glossary_terms"))
            mirrored = _terms(rows)
            mirror_clocks = {
                (bytes(pk), cid, cv, cl)
                for pk, cid, cv, cl in conn.execute(
                    text(
                        "SELECT c.pk, c.cid, c.col_version, coalesce(s.col_version, 1)"
                        " FROM crr_clock c LEFT JOIN crr_clock s"
                        " ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'"
                        " WHERE c.tbl = 'glossary_terms'"
                    )
                )
            }
            parked = conn.execute(text("SELECT count(*) FROM parked_changes")).scalar_one()
            acked = conn.execute(text("SELECT acked_db_version FROM enrollments")).scalar_one()
            conflicts = conn.execute(text("SELECT count(*) FROM merge_conflicts")).scalar_one()
        assert mirrored == expected
        assert mirror_clocks == clocks  # every cell once, at the install's own col_version
        assert (parked, acked, conflicts) == (0, last_version, 0)

        _user(url, "joon")  # a colleague's install receives all of it
        other = make_db("joon")
        link.enroll(other, url, "joon", "joon-password", "joon-pc")
        sync_once(other)
        assert _install_terms(other) == expected
    finally:
        central.stop()
        mirror.dispose()
