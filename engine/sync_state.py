"""The replicator's bookkeeping in engine.db, and the sync status shown to the user.

The engine owns the table; the replicator reads and moves the watermarks through these functions.
``acked_db_version`` is the highest of this install's own db_versions that central acknowledged;
``pull_cursor`` is the highest central db_version applied here. Neither ever goes backwards.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.clock import utc_now
from engine.db import Connection


@dataclass(frozen=True)
class SyncStatus:
    enrolled: bool
    central_url: str | None
    online: bool
    pending_changes: int
    acked_db_version: int
    pull_cursor: int
    last_attempt: str | None
    last_success: str | None
    last_error: str | None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def acked_db_version(conn: Connection) -> int:
    return int(conn.execute("SELECT acked_db_version FROM sync_state WHERE id = 1").fetchone()[0])


def pull_cursor(conn: Connection) -> int:
    return int(conn.execute("SELECT pull_cursor FROM sync_state WHERE id = 1").fetchone()[0])


def advance_acked(conn: Connection, db_version: int) -> None:
    conn.execute(
        "UPDATE sync_state SET acked_db_version = max(acked_db_version, ?) WHERE id = 1",
        (db_version,),
    )


def advance_cursor(conn: Connection, cursor: int) -> None:
    conn.execute("UPDATE sync_state SET pull_cursor = max(pull_cursor, ?) WHERE id = 1", (cursor,))


def record_success(conn: Connection) -> None:
    now = utc_now()
    conn.execute(
        "UPDATE sync_state SET online = 1, last_attempt = ?, last_success = ?, last_error = NULL"
        " WHERE id = 1",
        (now, now),
    )


def record_failure(conn: Connection, error: str, *, online: bool) -> None:
    conn.execute(
        "UPDATE sync_state SET online = ?, last_attempt = ?, last_error = ? WHERE id = 1",
        (int(online), utc_now(), error[:500]),
    )


def pending_changes(conn: Connection) -> int:
    """How many of this install's own changes central has not acknowledged yet."""
    row = conn.execute(
        "SELECT count(*) FROM crsql_changes WHERE site_id = crsql_site_id() AND db_version > "
        "(SELECT acked_db_version FROM sync_state WHERE id = 1)"
    ).fetchone()
    return int(row[0])


def status(conn: Connection) -> SyncStatus:
    row = conn.execute(
        "SELECT acked_db_version, pull_cursor, last_attempt, last_success, last_error, online"
        " FROM sync_state WHERE id = 1"
    ).fetchone()
    url = conn.execute("SELECT value FROM settings WHERE key = 'central_url'").fetchone()
    return SyncStatus(
        enrolled=url is not None,
        central_url=url[0] if url else None,
        online=bool(row[5]),
        pending_changes=pending_changes(conn),
        acked_db_version=row[0],
        pull_cursor=row[1],
        last_attempt=row[2],
        last_success=row[3],
        last_error=row[4],
    )
