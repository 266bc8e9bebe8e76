"""Rows no clock knows yet, put straight into crr_clock and the mirror with COPY.

Most of what installs send are new rows (operations, events). The staging statements of
:mod:`central.batch_merge` copy such a row's changes into a work table, then insert its clocks
and its mirror row with INSERT ... SELECT, one tuple at a time. Here a large batch's new rows go
into the tables themselves with COPY instead: each tuple written once, many per WAL record.

A row is new when no clock mentions it and all its changes in the batch are at one odd causal
length, each cell once. :mod:`central.batch_merge`'s rule for such a row is simple enough to apply
here: every cell wins; the sentinel's clock is written when the length is above 1 or the row's
first change is the sentinel; the mirror row holds each known column's value. Every other row is
left to the staging statements.

The caller holds the merge lock (:func:`central.merge.begin_merge`), so no clock appears between
the probe and the COPY.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from sqlalchemy import Connection

from central import sqlvalues
from central.merge import SENTINEL
from central.tables import REPLICATED
from replicator.wire import Change, SqlValue

# The rows of a batch the clocks know, probed one index lookup each (LIMIT keeps the planner from
# hashing all of crr_clock instead).
_KNOWN = """
SELECT h.tbl, h.pk FROM unnest(%(tbls)s::text[], %(pks)s::bytea[]) AS h(tbl, pk)
 CROSS JOIN LATERAL (SELECT FROM crr_clock c WHERE c.tbl = h.tbl AND c.pk = h.pk LIMIT 1) known
"""
_COPY_CLOCKS = (
    "COPY crr_clock (tbl, pk, cid, col_version, db_version, site_id, seq, vtype, vint, vreal,"
    " vbytes) FROM STDIN (FORMAT BINARY)"
)
_CLOCK_TYPES = [
    "text", "bytea", "text", "int8", "int8", "bytea", "int4", "int2", "int8", "float8", "bytea",
]  # fmt: skip

# (table, column) -> its value as the text the mirror column's type takes (absent for the
# sentinel and unknown columns); the staging statements use it too.
LITERALS = {
    (name, column): sqlvalues.literal_maker(spec.value_columns[column].type)
    for name, spec in REPLICATED.items()
    for column in spec.value_columns
}


@dataclass
class NewRows:
    """What putting a batch's new rows in did, and the changes left to the staging statements."""

    rest: list[tuple[Change, SqlValue]]  # in delivery order
    rows: int  # new rows put in
    cells: int  # their cells
    by_site: Counter[bytes]  # rows and cells put in, per origin site


def put_new_rows(
    conn: Connection, batch: Sequence[tuple[Change, SqlValue]], db_version: int
) -> NewRows:
    """Put the batch's new rows into crr_clock and the mirror, stamped ``db_version``."""
    rows: dict[tuple[str, bytes], list[int]] = {}
    cells: set[tuple[str, bytes, str]] = set()
    not_new: set[tuple[str, bytes]] = set()  # whatever the clocks say
    for idx, (change, _) in enumerate(batch):
        row = (change.table, change.pk)
        changes = rows.get(row)
        if changes is None:
            rows[row] = [idx]
            if change.cl % 2 == 0:
                not_new.add(row)
        else:
            changes.append(idx)
            if change.cl != batch[changes[0]][0].cl:
                not_new.add(row)
        if change.cid != SENTINEL:
            cell = (change.table, change.pk, change.cid)
            if cell in cells:
                not_new.add(row)
            cells.add(cell)
    candidates = [row for row in rows if row not in not_new]
    raw = conn.connection.driver_connection
    known: set[tuple[str, bytes]] = set()
    if candidates:
        found = raw.execute(
            _KNOWN, {"tbls": [t for t, _ in candidates], "pks": [p for _, p in candidates]}
        )
        known = {(tbl, bytes(pk)) for tbl, pk in found}
    new = [row for row in candidates if row not in known]
    done = NewRows([], len(new), 0, Counter())
    if new:
        done.cells = _put(raw, batch, [rows[row] for row in new], db_version, done.by_site)
    taken = {idx for row in new for idx in rows[row]}
    done.rest = [pair for idx, pair in enumerate(batch) if idx not in taken]
    return done


def _put(
    raw: psycopg.Connection,
    batch: Sequence[tuple[Change, SqlValue]],
    new: list[list[int]],
    db_version: int,
    by_site: Counter[bytes],
) -> int:
    """COPY the clocks and mirror rows of ``new`` (each a row's change indexes); its cells."""
    parts = sqlvalues.clock_parts
    mirrors: dict[str, list[list]] = {}
    cells = 0
    with raw.cursor() as cursor:
        with cursor.copy(_COPY_CLOCKS) as copy:
            copy.set_types(_CLOCK_TYPES)
            for changes in new:
                first = batch[changes[0]][0]
                by_site[first.site_id] += 1
                if first.cl > 1 or first.cid == SENTINEL:
                    copy.write_row(
                        (first.table, first.pk, SENTINEL, first.cl, db_version, first.site_id,
                         first.seq, sqlvalues.NULL, None, None, None)
                    )  # fmt: skip
                spec = REPLICATED[first.table]
                mirror = dict.fromkeys(spec.value_columns)
                for idx in changes:
                    change = batch[idx][0]
                    if change.cid == SENTINEL:
                        continue
                    vtype, _, vint, vreal, vbytes = parts(change.val)
                    copy.write_row(
                        (change.table, change.pk, change.cid, change.col_version, db_version,
                         change.site_id, change.seq, vtype, vint, vreal, vbytes)
                    )  # fmt: skip
                    cells += 1
                    by_site[change.site_id] += 1
                    if change.cid in mirror:
                        mirror[change.cid] = LITERALS[(change.table, change.cid)](change.val)
                mirrors.setdefault(first.table, []).append([batch[changes[0]][1], *mirror.values()])
        for table, values in mirrors.items():
            spec = REPLICATED[table]
            names = ", ".join(f'"{name}"' for name in (spec.pk_column.name, *spec.value_columns))
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in values:
                    copy.write_row(row)
    return cells
