"""The replicator's bookkeeping in engine.db, and the sync status shown to the user.

The engine owns the table; the replicator reads and moves the watermarks through these functions.
``acked_db_version`` is the highest of this install's own db_versions that central acknowledged;
``pull_cursor`` is the highest central db_version applied here. Neither ever goes backwards.

The last failure is kept as data (its kind, central's code, the detail), so the status badge and
``GET /api/sync`` decide what to show from the kind, never from the wording of a message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from engine.clock import utc_now
from engine.db import Connection


class FailureKind(StrEnum):
    """What stopped the last sync round."""

    NOT_ENROLLED = "not_enrolled"  # no link to central yet
    UNREACHABLE = "unreachable"  # no connection to central: network down, central stopped
    CENTRAL_FAILED = "central_failed"  # central answered 5xx, or something unreadable
    UNAUTHORIZED = "unauthorized"  # 401: the token is missing, unknown or expired
    REVOKED = "revoked"  # an administrator revoked this install
    ACCOUNT_DISABLED = "account_disabled"  # an administrator disabled (or deleted) the user
    UPDATE_REQUIRED = "update_required"  # 426: central does not serve this schema version
    REFUSED = "refused"  # any other 4xx; central's code says which
    BAD_PULL = "bad_pull"  # central sent changes this install must not apply

    @property
    def offline(self) -> bool:
        """True when the round never got an answer from a working central."""
        return self in _OFFLINE


_OFFLINE = frozenset(
    {FailureKind.NOT_ENROLLED, FailureKind.UNREACHABLE, FailureKind.CENTRAL_FAILED}
)


@dataclass(frozen=True)
class SyncFailure:
    kind: FailureKind
    detail: str
    code: str | None = None  # central's stable code, when central answered with one


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
    last_failure: SyncFailure | None

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
        "UPDATE sync_state SET online = 1, last_attempt = ?, last_success = ?, last_error = NULL,"
        " last_error_kind = NULL, last_error_code = NULL WHERE id = 1",
        (now, now),
    )


def record_failure(conn: Connection, failure: SyncFailure) -> None:
    conn.execute(
        "UPDATE sync_state SET online = ?, last_attempt = ?, last_error = ?, last_error_kind = ?,"
        " last_error_code = ? WHERE id = 1",
        (
            int(not failure.kind.offline),
            utc_now(),
            failure.detail[:500],
            failure.kind.value,
            failure.code[:100] if failure.code else None,
        ),
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
        "SELECT acked_db_version, pull_cursor, last_attempt, last_success, online,"
        " last_error_kind, last_error_code, last_error FROM sync_state WHERE id = 1"
    ).fetchone()
    url = conn.execute("SELECT value FROM settings WHERE key = 'central_url'").fetchone()
    kind, code, detail = row[5:8]
    return SyncStatus(
        enrolled=url is not None,
        central_url=url[0] if url else None,
        online=bool(row[4]),
        pending_changes=pending_changes(conn),
        acked_db_version=row[0],
        pull_cursor=row[1],
        last_attempt=row[2],
        last_success=row[3],
        last_failure=SyncFailure(_kind(kind), detail or "", code) if kind else None,
    )


def _kind(value: str) -> FailureKind:
    # A kind that a later LocaNext wrote (before a downgrade) still shows as a refusal.
    try:
        return FailureKind(value)
    except ValueError:
        return FailureKind.REFUSED
