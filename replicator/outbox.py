"""Reading this install's own changes that central has not acknowledged yet.

Only our own changes are sent (``site_id = crsql_site_id()``); changes pulled from central carry
their origin's site_id and so never go back. Batches hold whole db_versions: a transaction is never
split across two pushes, so central never sees half of one.
"""

from __future__ import annotations

from engine.db import Connection
from replicator.wire import CHANGE_COLUMNS, Change

_COLUMNS = ", ".join(f'"{name}"' for name in CHANGE_COLUMNS)
_SELECT = f"SELECT {_COLUMNS} FROM crsql_changes WHERE site_id = crsql_site_id() AND db_version > ?"


def _changes(rows: list[tuple]) -> list[Change]:
    return [Change.from_row(r) for r in rows]


def read_batch(conn: Connection, after: int, limit: int) -> list[Change]:
    """Up to about ``limit`` changes with db_version > ``after``, cut at a version boundary."""
    rows = conn.execute(
        _SELECT + " ORDER BY db_version, seq LIMIT ?", (after, limit + 1)
    ).fetchall()
    if len(rows) <= limit:
        return _changes(rows)
    last = rows[limit][5]
    whole = [r for r in rows if r[5] < last]
    if whole:
        return _changes(whole)
    # One transaction larger than the limit travels alone, whole.
    rows = conn.execute(_SELECT + " AND db_version = ? ORDER BY seq", (after, last)).fetchall()
    return _changes(rows)
