"""Differential test on generated histories: several cr-sqlite sites insert, update, delete and
re-insert rows with values of every SQLite type (in a column of type ANY too) and exchange changes
at random; every site's own changes are then delivered in an order hypothesis draws, with
duplicates, in batches. A real cr-sqlite hub and central's set-based merge receive the same
deliveries and must agree on every row, value, type and clock."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from central import batch_merge
from central.batch_merge import merge_batch
from central.merge import begin_merge
from central.sqlvalues import from_clock, to_mirror
from central.tables import events
from engine.db import Database
from replicator.wire import Change, pk
from tests.central.test_merge_matches_crsqlite import _all_changes, _apply

KEYS = ["k0", "k1", "k2"]
SITES = 3

sql_values = st.one_of(
    st.none(),
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63), 2**31]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0.0, -0.0, 5e-324, 1.7976931348623157e308, -1.5, 1.5, float("inf")]),
    st.floats(allow_nan=False),
    st.sampled_from(["", "검", "😀 non-BMP", "a", "b"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
    st.sampled_from([b"", b"\x00", b"\xff" * 3, bytes(range(256)) * 40]),
    st.binary(max_size=8),
)
texts = st.sampled_from(["", "a", "b", "검", "sword", "😀"])

edits = st.one_of(
    st.tuples(st.just("insert"), st.sampled_from(KEYS), sql_values, texts),
    st.tuples(st.just("update_value"), st.sampled_from(KEYS), sql_values, st.none()),
    st.tuples(st.just("update_message"), st.sampled_from(KEYS), texts, st.none()),
    st.tuples(st.just("delete"), st.sampled_from(KEYS), st.none(), st.none()),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, SITES - 1), edits),
        st.tuples(st.just("exchange"), st.integers(0, SITES - 1), st.integers(0, SITES - 1)),
    ),
    min_size=1,
    max_size=25,
)

_EDIT_SQL = {
    "insert": "INSERT OR IGNORE INTO events (id, value, message) VALUES (?, ?, ?)",
    "update_value": "UPDATE events SET value = ? WHERE id = ?",
    "update_message": "UPDATE events SET message = ? WHERE id = ?",
    "delete": "DELETE FROM events WHERE id = ?",
}


def _edit(db: Database, kind: str, key: str, value, message) -> None:
    args = {
        "insert": (key, value, message),
        "update_value": (value, key),
        "update_message": (value, key),
        "delete": (key,),
    }[kind]
    with db.write() as conn:
        conn.execute(_EDIT_SQL[kind], args)


def _hub(hub: Database) -> tuple[list, list]:
    with hub.read() as conn:
        rows = conn.execute("SELECT id, message, value FROM events ORDER BY id").fetchall()
        clocks = conn.execute(
            "SELECT pk, cid, val, typeof(val), col_version, site_id, cl FROM crsql_changes"
            " WHERE \"table\" = 'events' ORDER BY pk, cid"
        ).fetchall()
    return [tuple(r) for r in rows], [tuple(r) for r in clocks]


def _mirror(engine: Engine) -> tuple[list, list]:
    typeof = {type(None): "null", int: "integer", float: "real", str: "text", bytes: "blob"}
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, message, value FROM events ORDER BY id")).all()
        clocks = conn.execute(
            text(
                "SELECT c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version, c.site_id,"
                " coalesce(s.col_version, 1) AS cl FROM crr_clock c LEFT JOIN crr_clock s"
                " ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'"
                " WHERE c.tbl = 'events' AND c.col_version > 0 ORDER BY c.pk, c.cid"
            )
        ).all()
    values = [(r, from_clock(r.vtype, r.vint, r.vreal, r.vbytes)) for r in clocks]
    return [tuple(r) for r in rows], [
        (bytes(r.pk), r.cid, v, typeof[type(v)], r.col_version, bytes(r.site_id), r.cl)
        for r, v in values
    ]


def _reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE events, crr_clock, merge_conflicts"))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps, data=st.data())
@pytest.mark.parametrize("bulk", [False, True], ids=["staged", "bulk"])
def test_generated_histories_merge_like_a_crsqlite_hub(
    central_db: Engine, history, data, bulk: bool, monkeypatch
):
    if bulk:  # new rows by COPY first, as for a batch of BULK_MIN changes or more
        monkeypatch.setattr(batch_merge, "BULK_MIN", 1)
    _reset(central_db)
    with tempfile.TemporaryDirectory() as tmp:
        sites = [Database(Path(tmp) / f"site{i}" / "engine.db") for i in range(SITES)]
        hub = Database(Path(tmp) / "hub" / "engine.db")
        try:
            for step in history:
                if step[0] == "edit":
                    _edit(sites[step[1]], *step[2])
                elif step[1] != step[2]:
                    _apply(sites[step[2]], _all_changes(sites[step[1]], own_only=False))
            changes = [row for db in sites for row in _all_changes(db, own_only=True)]
            if not changes:
                return
            order = data.draw(st.permutations(changes), label="delivery order")
            extra = data.draw(st.lists(st.sampled_from(changes), max_size=10), label="duplicates")
            delivered = list(order) + extra
            cuts = data.draw(
                st.lists(st.integers(1, len(delivered)), max_size=4, unique=True), label="cuts"
            )
            bounds = [0, *sorted(cuts), len(delivered)]
            batches = [delivered[i:j] for i, j in zip(bounds, bounds[1:], strict=False) if i < j]
            note(f"{len(delivered)} deliveries in batches of {[len(b) for b in batches]}")
            for batch in batches:
                _apply(hub, batch)
                keyed = [(c, pk.unpack(c.pk)[0]) for c in map(Change.from_row, batch)]
                with central_db.begin() as conn:
                    merge_batch(conn, keyed, begin_merge(conn))
            hub_rows, hub_clocks = _hub(hub)
            mirror_rows, mirror_clocks = _mirror(central_db)
            assert mirror_clocks == hub_clocks
            value_type = events.c.value.type
            assert mirror_rows == [(i, m, to_mirror(v, value_type)) for i, m, v in hub_rows]
        finally:
            for db in [*sites, hub]:
                db.close()
