"""Applying shared-table changes pulled from central through cr-sqlite's own merge."""

from __future__ import annotations

from collections.abc import Sequence

from engine import schema
from engine.db import Connection
from replicator.errors import BadPull
from replicator.wire import Change

_INSERT = (
    'INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version, site_id, cl, seq)'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def apply(conn: Connection, changes: Sequence[Change]) -> None:
    """Apply inside the caller's transaction; refuses the whole batch if one change is for a
    table we must not take from central."""
    for change in changes:
        if change.table not in schema.SHARED_TABLES:
            raise BadPull(
                f"central sent a change for {change.table!r}, which is not a shared table"
            )
    conn.executemany(
        _INSERT,
        [
            (c.table, c.pk, c.cid, c.val, c.col_version, c.db_version, c.site_id, c.cl, c.seq)
            for c in changes
        ],
    )
