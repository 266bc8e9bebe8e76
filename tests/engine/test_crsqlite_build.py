"""The cr-sqlite extension built by scripts/build_crsqlite.sh really works.

Two separate databases load it, mark the same STRICT table (one primary-key column of type ANY)
as a CRR, and converge by copying ``crsql_changes`` rows from one to the other, in two rounds
(inserts, then an update, a delete and a delete + re-insert). The keys cover the integer encodings
around byte boundaries, the int64 extremes, text that looks like a number, non-ASCII text, an
emoji, and empty text and blobs (empty values once made the extension build slices from NULL
pointers). A few facts about cr-sqlite 0.16.3 that the replicator relies on are pinned here too.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pysqlite3.dbapi2 as sqlite3
import pytest

from engine import crsqlite

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_crsqlite.sh"

CHANGE_COLUMNS = '"table", pk, cid, val, col_version, db_version, site_id, cl, seq'
SELECT_CHANGES = f"SELECT {CHANGE_COLUMNS} FROM crsql_changes"
INSERT_CHANGES = f"INSERT INTO crsql_changes ({CHANGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
SELECT_ROWS = "SELECT typeof(pk), pk, name, n, data FROM t ORDER BY pk"
SCHEMA = "CREATE TABLE t (pk ANY NOT NULL PRIMARY KEY, name TEXT, n INTEGER, data BLOB) STRICT"
SENTINEL = "-1"  # cid of the row-existence record (cl: odd = alive, even = deleted)

KEYS: list[int | str | bytes] = [
    0, 1, 127, 128, 255, 256, -1, 2**62, -(2**63), 2**63 - 1,
    "1", "한국어", "😀", "", b"\x00\xff", b"",
]  # fmt: skip


@pytest.fixture(scope="module")
def extension() -> Path:
    return crsqlite.extension_path()


@contextmanager
def crr_db(path: Path | str, extension: Path) -> Iterator[sqlite3.Connection]:
    """A connection with cr-sqlite loaded; finalized and closed on exit."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    loaded = False
    try:
        conn.enable_load_extension(True)
        conn.execute("SELECT load_extension(?, 'sqlite3_crsqlite_init')", (str(extension),))
        loaded = True
        conn.enable_load_extension(False)
        yield conn
    finally:
        try:
            if loaded:
                conn.execute("SELECT crsql_finalize()")
        finally:
            conn.close()


def make_crr(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)
    assert conn.execute("SELECT crsql_as_crr('t')").fetchone() == ("OK",)


def scalar(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> object:
    return conn.execute(sql, params).fetchone()[0]


def changes_since(conn: sqlite3.Connection, db_version: int) -> list[tuple]:
    return conn.execute(
        f"{SELECT_CHANGES} WHERE db_version > ? ORDER BY db_version, seq", (db_version,)
    ).fetchall()


def apply_changes(conn: sqlite3.Connection, changes: list[tuple]) -> None:
    conn.execute("BEGIN")
    try:
        conn.executemany(INSERT_CHANGES, changes)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def sqlite_type(value: object) -> str:
    return {int: "integer", str: "text", bytes: "blob", type(None): "null"}[type(value)]


def expected_rows(rows: dict) -> list[tuple]:
    """What SELECT_ROWS must return for {pk: (name, n, data)} (SQLite orders ints < text < blob)."""
    order = {"integer": 0, "text": 1, "blob": 2}
    keys = sorted(rows, key=lambda k: (order[sqlite_type(k)], k))
    return [(sqlite_type(k), k, *rows[k]) for k in keys]


def test_build_script_prints_the_cached_path() -> None:
    target = crsqlite.built_path()
    was_cached = target.is_file()
    started = time.monotonic()
    result = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.splitlines()[-1] == str(target)
    assert target.is_file()
    if was_cached:
        assert elapsed < 1.0, f"cached run took {elapsed:.2f} s"


def test_two_databases_converge(tmp_path: Path, extension: Path) -> None:
    with (
        crr_db(tmp_path / "a.db", extension) as a,
        crr_db(tmp_path / "b.db", extension) as b,
    ):
        make_crr(a)
        make_crr(b)
        site_a = scalar(a, "SELECT crsql_site_id()")
        site_b = scalar(b, "SELECT crsql_site_id()")
        assert isinstance(site_a, bytes) and len(site_a) == 16 and site_a != site_b

        # Round 1: inserts, one transaction per row.
        truth: dict = {}
        for i, key in enumerate([*KEYS, "doomed", "reborn"]):
            truth[key] = (f"row {i}", i, None if i % 2 else bytes([i]))
            a.execute("INSERT INTO t VALUES (?, ?, ?, ?)", (key, *truth[key]))
        assert a.execute(SELECT_ROWS).fetchall() == expected_rows(truth)

        round1 = changes_since(a, 0)
        assert len(round1) == 3 * len(truth)  # one change per non-pk column
        # Local changes carry the real site id (not NULL) in crsql_changes.
        assert {row[6] for row in round1} == {site_a}
        # pk is the packed primary key: one column, integer type, 1 byte, value 1.
        # (Each row's n is its key's index in KEYS, so n = KEYS.index(1) finds key 1's changes.)
        assert scalar(a, "SELECT crsql_pack_columns(1)") == b"\x01\x09\x01"
        assert {row[1] for row in round1 if row[2] == "n" and row[3] == KEYS.index(1)} == {
            b"\x01\x09\x01"
        }

        apply_changes(b, round1)
        assert b.execute(SELECT_ROWS).fetchall() == expected_rows(truth)
        seen = max(row[5] for row in round1)

        # Round 2: an update, a delete, and a delete followed by a re-insert.
        a.execute("UPDATE t SET name = 'renamed', data = x'00ff' WHERE pk = 128")
        truth[128] = ("renamed", truth[128][1], b"\x00\xff")
        a.execute("DELETE FROM t WHERE pk = 'doomed'")
        del truth["doomed"]
        a.execute("DELETE FROM t WHERE pk = 'reborn'")
        a.execute("INSERT INTO t VALUES ('reborn', 'again', -5, NULL)")
        truth["reborn"] = ("again", -5, None)

        round2 = changes_since(a, seen)
        by_pk_cid = {(row[1], row[2]): row for row in round2}
        packed = {k: scalar(a, "SELECT crsql_pack_columns(?)", (k,)) for k in ("doomed", "reborn")}
        # The update bumps only the written columns' col_version.
        assert by_pk_cid[(b"\x01\x09\x80", "name")][4] == 2
        assert (b"\x01\x09\x80", "n") not in by_pk_cid
        # A delete leaves only the sentinel: causal length 2, no column values.
        assert [(r[2], r[3], r[4], r[7]) for r in round2 if r[1] == packed["doomed"]] == [
            (SENTINEL, None, 2, 2)
        ]
        # Delete + re-insert: sentinel cl 3; the columns restart at col_version 1 with cl 3.
        reborn = {r[2]: (r[4], r[7]) for r in round2 if r[1] == packed["reborn"]}
        assert reborn == {SENTINEL: (3, 3), "name": (1, 3), "n": (1, 3), "data": (1, 3)}

        apply_changes(b, round2)
        assert b.execute(SELECT_ROWS).fetchall() == expected_rows(truth)
        assert a.execute(SELECT_ROWS).fetchall() == b.execute(SELECT_ROWS).fetchall()

        # B holds the same change records, still attributed to A. B had no local writes, so every
        # merged record keeps A's db_version and B's own db_version catches up with A's.
        changes_a = set(a.execute(SELECT_CHANGES).fetchall())
        assert set(b.execute(SELECT_CHANGES).fetchall()) == changes_a
        assert scalar(b, "SELECT crsql_db_version()") == scalar(a, "SELECT crsql_db_version()")

        # Applying the same changes again changes nothing.
        before = scalar(b, "SELECT crsql_db_version()")
        apply_changes(b, round1 + round2)
        assert b.execute(SELECT_ROWS).fetchall() == expected_rows(truth)
        assert scalar(b, "SELECT crsql_db_version()") == before


def test_merged_changes_get_the_receivers_db_version(tmp_path: Path, extension: Path) -> None:
    """A merged change is recorded at max(receiver's next db_version, sender's db_version)."""
    with (
        crr_db(tmp_path / "a.db", extension) as a,
        crr_db(tmp_path / "b.db", extension) as b,
    ):
        make_crr(a)
        make_crr(b)
        for key in (1, 2):
            a.execute("INSERT INTO t (pk, name) VALUES (?, 'from a')", (key,))
        for key in ("b1", "b2", "b3", "b4"):
            b.execute("INSERT INTO t (pk, name) VALUES (?, 'from b')", (key,))
        assert scalar(a, "SELECT crsql_db_version()") == 2
        assert scalar(b, "SELECT crsql_db_version()") == 4

        apply_changes(b, changes_since(a, 0))
        site_a = scalar(a, "SELECT crsql_site_id()")
        merged = b.execute(
            "SELECT DISTINCT db_version, site_id FROM crsql_changes"
            " WHERE site_id <> crsql_site_id()"
        ).fetchall()
        assert merged == [(5, site_a)]
        assert scalar(b, "SELECT crsql_db_version()") == 5
        # Filtering on site_id is how to find only B's own writes.
        own = b.execute("SELECT count(*) FROM crsql_changes WHERE site_id = crsql_site_id()")
        assert own.fetchone() == (4 * 3,)
