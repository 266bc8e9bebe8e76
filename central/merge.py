"""Merging cr-sqlite changes into the PostgreSQL mirror, following cr-sqlite 0.16's rule.

For an incoming change (ARCHITECTURE.md, "The merge rule, in PostgreSQL"):
1. local_cl = the row's sentinel col_version if any, else 1 if any clock exists, else 0.
2. incoming cl < local_cl: ignore.
3. even cl > local_cl: delete the row, keep only the sentinel. Equal: nothing.
4. odd cl > local_cl: (re)create the row, zero the other column clocks, then apply the cell.
5. same cl: higher col_version wins; equal col_version: the larger value (by type, then value).
6. the winner is stored with central's own db_version; site_id stays the origin's.

:func:`cell_wins` and :func:`causal_length` are the pure rule; :class:`Merger` applies it inside
the caller's transaction. Callers serialize merges (see :func:`begin_merge`), so reads here see a
stable state and the versions central hands out commit in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import sqlvalues
from central.tables import REPLICATED, SHARED_CLOCKS, crr_clock
from replicator.wire import Change, SqlValue

log = logging.getLogger(__name__)

SENTINEL = "-1"
MERGE_LOCK = 0x4C4E58  # "LNX": one advisory lock serializes merges cluster-wide


@dataclass(frozen=True)
class Cell:
    col_version: int
    value: SqlValue


def causal_length(sentinel: int | None, has_clock: bool) -> int:
    if sentinel is not None:
        return sentinel
    return 1 if has_clock else 0


def cell_wins(col_version: int, value: SqlValue, local: Cell | None) -> bool:
    """Does an incoming cell (same causal length) replace the local one?"""
    if local is None:
        return True
    if col_version != local.col_version:
        return col_version > local.col_version
    return sqlvalues.sort_key(value) > sqlvalues.sort_key(local.value)


# One round trip: the version is drawn from the row the lock's CTE yields, so only once the
# lock is held (a MATERIALIZED CTE is evaluated before the query reads its row).
_LOCK_THEN_VERSION = text(
    "WITH locked AS MATERIALIZED (SELECT pg_advisory_xact_lock(:k))"
    " SELECT nextval('central_db_version') FROM locked"
)


def begin_merge(conn: Connection) -> int:
    """Take the merge lock for this transaction and allocate central's next db_version.

    Holding the lock until commit means versions become visible in the order they were handed
    out, so a puller's cursor never skips a version that commits late.
    """
    return int(conn.execute(_LOCK_THEN_VERSION, {"k": MERGE_LOCK}).scalar_one())


# The newest central db_version with a shared-table change, as the reading snapshot sees it
# (a scalar subquery: pulls read it along with the epoch).
NEWEST_SHARED_VERSION = (
    select(func.coalesce(func.max(crr_clock.c.db_version), 0))
    .where(text(SHARED_CLOCKS))
    .scalar_subquery()
)


# The columns :func:`change_from_clock` reads, in its order: a select of crr_clock's (with the
# causal length) or parked_changes' columns for it starts with them.
CHANGE_FROM_CLOCK = (
    "tbl", "pk", "cid", "vtype", "vint", "vreal", "vbytes",
    "col_version", "db_version", "site_id", "cl", "seq",
)  # fmt: skip


def change_from_clock(row: Any) -> Change:
    """A wire change from a row that starts with the :data:`CHANGE_FROM_CLOCK` columns."""
    # By position: a Row's attributes cost ~0.35 µs each, and a pull turns every row it serves
    # into a change.
    tbl, pk, cid, vtype, vint, vreal, vbytes, col_version, db_version, site_id, cl, seq = row[:12]
    return Change(
        table=tbl,
        pk=bytes(pk),
        cid=cid,
        val=sqlvalues.from_clock(vtype, vint, vreal, vbytes),
        col_version=col_version,
        db_version=db_version,
        site_id=bytes(site_id),
        cl=cl,
        seq=seq,
    )


class Merger:
    """Applies changes to the mirror within one transaction stamped ``db_version``."""

    def __init__(self, conn: Connection, db_version: int) -> None:
        self.conn = conn
        self.db_version = db_version
        self.applied = 0

    # --- reads ------------------------------------------------------------------------------
    def _clock_rows(self, table: str, pk: bytes) -> dict[str, Any]:
        rows = self.conn.execute(
            select(crr_clock).where(crr_clock.c.tbl == table, crr_clock.c.pk == pk)
        ).all()
        return {r.cid: r for r in rows}

    # --- writes -----------------------------------------------------------------------------
    def _put_clock(self, change: Change, cid: str, col_version: int, value: SqlValue) -> None:
        values = {
            "col_version": col_version,
            "db_version": self.db_version,
            "site_id": change.site_id,
            "seq": change.seq,
            **sqlvalues.to_clock(value),
        }
        stmt = pg_insert(crr_clock).values(tbl=change.table, pk=change.pk, cid=cid, **values)
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["tbl", "pk", "cid"], set_=values)
        )

    def _put_sentinel(self, change: Change) -> None:
        self._put_clock(change, SENTINEL, change.cl, None)

    def _delete_row(self, change: Change, pk_value: SqlValue) -> None:
        spec = REPLICATED[change.table]
        self.conn.execute(
            delete(crr_clock).where(
                crr_clock.c.tbl == change.table,
                crr_clock.c.pk == change.pk,
                crr_clock.c.cid != SENTINEL,
            )
        )
        self._put_sentinel(change)
        self.conn.execute(delete(spec.table).where(spec.pk_column == pk_value))

    def _create_row(self, change: Change, pk_value: SqlValue) -> None:
        spec = REPLICATED[change.table]
        # Like cr-sqlite, a first insert (cl 1) through a column change keeps no sentinel: any
        # clock already means cl 1. A resurrection, or a '-1' change, records it.
        if change.cid == SENTINEL or change.cl > 1:
            self._put_sentinel(change)
        self.conn.execute(
            update(crr_clock)
            .where(
                crr_clock.c.tbl == change.table,
                crr_clock.c.pk == change.pk,
                crr_clock.c.cid != SENTINEL,
            )
            .values(col_version=0)
        )
        self.conn.execute(
            pg_insert(spec.table).values({spec.pk_column.name: pk_value}).on_conflict_do_nothing()
        )

    def _write_cell(self, change: Change, pk_value: SqlValue) -> None:
        spec = REPLICATED[change.table]
        column = spec.value_columns[change.cid]
        self._put_clock(change, change.cid, change.col_version, change.val)
        self.conn.execute(
            update(spec.table)
            .where(spec.pk_column == pk_value)
            .values({column.name: sqlvalues.to_mirror(change.val, column.type)})
        )

    # --- the rule ---------------------------------------------------------------------------
    def apply(self, change: Change, pk_value: SqlValue) -> bool:
        """Merge one validated change; returns True when it changed the mirror."""
        clocks = self._clock_rows(change.table, change.pk)
        sentinel = clocks.get(SENTINEL)
        local_cl = causal_length(sentinel.col_version if sentinel else None, bool(clocks))
        if change.cl < local_cl:
            return False
        if change.cl % 2 == 0:
            if change.cl == local_cl:
                return False
            self._delete_row(change, pk_value)
        elif change.cl > local_cl:
            self._create_row(change, pk_value)
            if change.cid != SENTINEL:
                self._write_cell(change, pk_value)
        else:
            if change.cid == SENTINEL:
                return False
            local = clocks.get(change.cid)
            current = (
                Cell(
                    local.col_version,
                    sqlvalues.from_clock(local.vtype, local.vint, local.vreal, local.vbytes),
                )
                if local is not None
                else None
            )
            if not cell_wins(change.col_version, change.val, current):
                return False
            self._write_cell(change, pk_value)
        self.applied += 1
        return True
