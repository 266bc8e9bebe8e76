"""A large batch puts its new rows straight into crr_clock and the mirror with COPY
(central.new_rows); the mirror and the clocks must then hold exactly what the staging statements
would have put there, for every kind of value and every column type."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, text

from central import batch_merge
from central.batch_merge import merge_batch
from central.merge import begin_merge
from central.tables import operations
from replicator.wire import Change, pk

DEEP = "[" * 100_000 + "]" * 100_000
# Every value column of operations, with values of each SQLite type and the odd ones: what each
# column type takes, what it cannot hold (NULL in the mirror), and what COPY's text form escapes.
VALUES = {
    "install_id": ["site-a", "x" * 201, 7, None, b"\x00blob"],
    "username": ["mina", "tab\there", "back\\slash", "new\nline", "😀"],
    "tool": ["xlsx_transfer", "", "\\N", 1.5, "nul\x00byte"],
    "function": ["run", "a" * 200, "b" * 300, -(2**63), b"\xff"],
    "status": ["ok", None, "error", "\r\n", "é"],
    "started": ["2024-01-01T00:00:00+20:00", "9999-12-31T23:00:00-05:00", "not a time", 3, None],
    "finished": ["2024-06-01T12:00:00Z", "2024-06-01 12:00:00", "0001-01-01T00:00:00+01:00",
                 2.5, "2024-02-30T00:00:00"],
    "duration": [1.25, 3, "4.5", float("inf"), -0.0],
    "rows_in": [10, 2.0, 2.5, "12", 2**63 - 1],
    "rows_out": [-(2**63), None, 1e300, "x", b"1"],
    "input_files": ['["a.xlsx"]', '{"ratio": 1e400}', '{"a": "\\u0000"}', DEEP, "not json"],
    "output_files": ['{"a": "\\\\u0000", "b": 1.5}', "[]", '"text"', "1e5", '{"a":1,"a":2}'],
    "parameters": ['{"name": "\\ud800"}', '{"k": [1, {"n": null}]}', 5, None, '{"t": "\\t"}'],
    "error": ["bad\x00byte", "line\nbreak", "tab\t", "\\", None],
}  # fmt: skip
assert set(VALUES) == set(operations.columns.keys()) - {"id"}


def _rows(keys: list[str], site: bytes, cl: int = 1) -> list[tuple[Change, str]]:
    """One new operations row per key, the i-th row holding the i-th value of every column."""
    batch = []
    for i, key in enumerate(keys):
        packed = pk.pack([key])
        cells = [(column, values[i % len(values)]) for column, values in VALUES.items()]
        if cl > 1:
            cells.insert(0, ("-1", None))
        for seq, (cid, value) in enumerate(cells):
            change = Change(table="operations", pk=packed, cid=cid, val=value, col_version=1,
                            db_version=1, site_id=site, cl=cl, seq=seq)  # fmt: skip
            batch.append((change, key))
    return batch


def _stored(engine: Engine, keys: list[str]) -> list[tuple]:
    """Each key's mirror row and cell clocks (keys replaced by their place in ``keys``)."""
    columns = ", ".join(f'"{c}"' for c in VALUES)
    with engine.connect() as conn:
        out = []
        for place, key in enumerate(keys):
            row = conn.execute(
                text(f"SELECT {columns} FROM operations WHERE id = :k"), {"k": key}
            ).one()
            clocks = conn.execute(
                text(
                    "SELECT cid, col_version, site_id, seq, vtype, vint, vreal, vbytes"
                    " FROM crr_clock WHERE tbl = 'operations' AND pk = :pk ORDER BY cid"
                ),
                {"pk": pk.pack([key])},
            ).all()
            out.append((place, tuple(row), [tuple(c) for c in clocks]))
    return out


@pytest.mark.parametrize("cl", [1, 3], ids=["inserted", "re-inserted"])
def test_new_rows_by_copy_hold_what_the_staging_statements_put(
    central_db: Engine, monkeypatch, cl: int
) -> None:
    site = uuid.uuid4().bytes
    staged_keys = [f"staged-{i}" for i in range(5)]
    bulk_keys = [f"bulk-{i}" for i in range(5)]
    with central_db.begin() as conn:
        staged = merge_batch(conn, _rows(staged_keys, site, cl), begin_merge(conn), by_site=True)
    monkeypatch.setattr(batch_merge, "BULK_MIN", 1)
    with central_db.begin() as conn:
        bulk = merge_batch(conn, _rows(bulk_keys, site, cl), begin_merge(conn), by_site=True)

    assert bulk == staged
    assert staged.applied == 5 * (1 + len(VALUES))  # each row, and each of its cells
    assert _stored(central_db, bulk_keys) == _stored(central_db, staged_keys)


def test_rows_the_clocks_know_are_left_to_the_staging_statements(
    central_db: Engine, monkeypatch
) -> None:
    site, other = uuid.uuid4().bytes, uuid.uuid4().bytes
    keys = [f"known-{i}" for i in range(3)]
    with central_db.begin() as conn:
        merge_batch(conn, _rows(keys, site), begin_merge(conn))
    monkeypatch.setattr(batch_merge, "BULK_MIN", 1)
    # Another install's later edit of the same rows is a merge (greater col_version wins),
    # together with one new row in the same batch.
    later = [
        (change.model_copy(update={"col_version": 2, "site_id": other}), key)
        for change, key in _rows(keys, site)
        if change.cid == "status"
    ]
    with central_db.begin() as conn:
        result = merge_batch(conn, later + _rows(["fresh"], other), begin_merge(conn))
        statuses = conn.execute(
            text("SELECT id, status, site_id FROM operations o JOIN crr_clock c ON c.tbl ="
                 " 'operations' AND c.cid = 'status' AND c.pk = :p0 AND o.id = :k0"),
            {"p0": pk.pack([keys[0]]), "k0": keys[0]},
        ).all()  # fmt: skip
    assert result.applied == 3 + (1 + len(VALUES))
    assert [(k, s, bytes(o)) for k, s, o in statuses] == [(keys[0], "ok", other)]
