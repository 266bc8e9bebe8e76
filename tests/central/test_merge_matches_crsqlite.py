"""Central's PostgreSQL merge holds exactly what a real cr-sqlite database holds after receiving
the same changes, in any order, with duplicates: inserts, concurrent updates, deletes and
re-inserts of shared rows edited on three installs."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from central import batch_merge
from central.batch_merge import merge_batch
from central.db import normalize_dsn
from central.merge import Merger, begin_merge
from central.sqlvalues import from_clock
from replicator.wire import Change, pk

COLUMNS = ("source", "translation", "game", "language", "note")


def _all_changes(db, own_only: bool) -> list[tuple]:
    sql = (
        'SELECT "table", pk, cid, val, col_version, db_version, site_id, cl, seq FROM crsql_changes'
    )
    if own_only:
        sql += " WHERE site_id = crsql_site_id()"
    with db.read() as conn:
        return conn.execute(sql + " ORDER BY db_version, seq").fetchall()


def _apply(db, rows: list[tuple]) -> None:
    with db.write() as conn:
        conn.executemany(
            'INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version, site_id,'
            " cl, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def _exchange(src, dst) -> None:
    _apply(dst, _all_changes(src, own_only=False))


def _write(db, sql: str, *args) -> None:
    with db.write() as conn:
        conn.execute(sql, args)


def _history(make_db):
    """Three installs editing the glossary concurrently; returns them after the edits."""
    a, b, c = make_db("a"), make_db("b"), make_db("c")
    ins = "INSERT INTO glossary_terms (id, source, translation, game) VALUES (?, ?, ?, ?)"
    _write(a, ins, "t1", "검", "sword", "g1")
    _write(a, ins, "t2", "방패", "shield", "g1")
    _exchange(a, b)
    _exchange(a, c)
    _write(b, "UPDATE glossary_terms SET translation = 'blade' WHERE id = 't1'")
    _write(c, "UPDATE glossary_terms SET translation = 'sabre' WHERE id = 't1'")
    _write(c, "UPDATE glossary_terms SET translation = 'katana' WHERE id = 't1'")  # 2 edits win
    _write(b, "UPDATE glossary_terms SET note = 'zzz' WHERE id = 't1'")  # equal edits:
    _write(c, "UPDATE glossary_terms SET note = 'aaa' WHERE id = 't1'")  # larger value wins
    _write(a, "DELETE FROM glossary_terms WHERE id = 't2'")
    _write(b, "UPDATE glossary_terms SET source = '큰 방패' WHERE id = 't2'")  # loses to delete
    _exchange(b, a)
    _write(a, ins, "t2", "방패", "buckler", "g2")  # re-insert after delete: cl 3
    _write(c, ins, "t3", "물약", "potion", "g1")
    _write(c, "DELETE FROM glossary_terms WHERE id = 't3'")  # created and deleted offline
    _write(b, ins, "t4", "", "", "")  # empty strings are values too
    _write(b, "UPDATE glossary_terms SET note = ? WHERE id = 't4'", "😀 non-BMP")
    return a, b, c


def _merge(engine: Engine, batches: list[list[tuple]], set_based: bool) -> None:
    for batch in batches:
        changes = [Change.from_row(row) for row in batch]
        keyed = [(c, pk.unpack(c.pk)[0]) for c in changes]
        with engine.begin() as conn:
            version = begin_merge(conn)
            if set_based:
                result = merge_batch(conn, keyed, version, by_site=True)
                assert result.applied == sum(result.by_site.values())
            else:
                merger = Merger(conn, version)
                for change, key in keyed:
                    merger.apply(change, key)


def _hub_state(hub) -> tuple[list, list]:
    with hub.read() as conn:
        rows = conn.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM glossary_terms ORDER BY id"
        ).fetchall()
        clocks = conn.execute(
            "SELECT pk, cid, val, col_version, site_id, cl FROM crsql_changes"
            " WHERE \"table\" = 'glossary_terms' ORDER BY pk, cid"
        ).fetchall()
    return [tuple(r) for r in rows], [tuple(r) for r in clocks]


def _hub_of(hub, installs) -> tuple[list, list]:
    """The state of a cr-sqlite hub fed every install's own changes."""
    for db in installs:
        _apply(hub, _all_changes(db, own_only=True))
    return _hub_state(hub)


def _mirror_state_at(dsn: str) -> tuple[list, list]:
    """:func:`_mirror_state` of the central database at ``dsn``."""
    engine = create_engine(normalize_dsn(dsn), poolclass=NullPool)
    try:
        return _mirror_state(engine)
    finally:
        engine.dispose()


def _mirror_state(engine: Engine) -> tuple[list, list]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT id, {', '.join(COLUMNS)} FROM glossary_terms ORDER BY id")
        ).all()
        clocks = conn.execute(
            text(
                "SELECT c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version, c.site_id,"
                " coalesce(s.col_version, 1) AS cl FROM crr_clock c LEFT JOIN crr_clock s"
                " ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'"
                " WHERE c.tbl = 'glossary_terms' AND c.col_version > 0 ORDER BY c.pk, c.cid"
            )
        ).all()
    return [tuple(r) for r in rows], [
        (
            bytes(r.pk),
            r.cid,
            from_clock(r.vtype, r.vint, r.vreal, r.vbytes),
            r.col_version,
            bytes(r.site_id),
            r.cl,
        )
        for r in clocks
    ]


@pytest.fixture(params=["staged", "bulk", "change-by-change"])
def merge_path(request, monkeypatch) -> str:
    """How central merges: the batch's staging statements, new rows by COPY first (as for a
    batch of BULK_MIN changes or more), or one change at a time."""
    if request.param == "bulk":
        monkeypatch.setattr(batch_merge, "BULK_MIN", 1)
    return request.param


@pytest.mark.parametrize("seed", range(6))
def test_mirror_equals_a_crsqlite_hub_in_any_order_with_duplicates(
    make_db, central_db: Engine, seed: int, merge_path: str
) -> None:
    a, b, c = _history(make_db)
    changes = [row for db in (a, b, c) for row in _all_changes(db, own_only=True)]
    rng = random.Random(seed)
    delivered = changes + rng.sample(changes, len(changes) // 2)  # duplicates
    rng.shuffle(delivered)
    cuts = sorted(rng.sample(range(1, len(delivered)), 5))
    batches = [delivered[i:j] for i, j in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]

    hub = make_db(f"hub{seed}")
    for batch in batches:
        _apply(hub, batch)
    _merge(central_db, batches, set_based=merge_path != "change-by-change")

    hub_rows, hub_clocks = _hub_state(hub)
    mirror_rows, mirror_clocks = _mirror_state(central_db)
    assert mirror_rows == hub_rows
    assert mirror_clocks == hub_clocks
    # and the history did what the scenario says
    assert dict((r[0], r[2]) for r in hub_rows) == {"t1": "katana", "t2": "buckler", "t4": ""}
    assert dict((r[0], r[5]) for r in hub_rows)["t1"] == "zzz"
