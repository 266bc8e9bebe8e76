"""Applying shared-table changes pulled from central through cr-sqlite's own merge."""

from __future__ import annotations

from collections.abc import Sequence

from engine import schema
from engine.db import Connection
from replicator.errors import BadPull
from replicator.wire import CHANGE_COLUMNS, Change

_COLUMNS = ", ".join(f'"{name}"' for name in CHANGE_COLUMNS)
_INSERT = f"INSERT INTO crsql_changes ({_COLUMNS}) VALUES ({', '.join('?' * len(CHANGE_COLUMNS))})"


def apply(conn: Connection, changes: Sequence[Change]) -> None:
    """Apply inside the caller's transaction; refuses the whole batch if one change is for a
    table we must not take from central."""
    for change in changes:
        if change.table not in schema.SHARED_TABLES:
            raise BadPull(
                f"central sent a change for {change.table!r}, which is not a shared table"
            )
    conn.executemany(_INSERT, [c.as_row() for c in changes])
