"""The replicator's bookkeeping in engine.db, and the sync status shown to the user.

The engine owns the table; the replicator reads and moves the watermarks through these functions.
``acked_db_version`` is the highest of this install's own db_versions that central acknowledged;
``pull_cursor`` is the highest central db_version applied here. Neither ever goes backwards.

The last failure is kept as data (its kind, central's code, the detail), so the status badge and
``GET /api/sync`` decide what to show from the kind, never from the wording of a message. A change
of that state (a new kind of failure, or sync working again) is also an event for the admins
(:mod:`engine.telemetry`), once per change rather than once per retry.

Every round also goes into the local sync log (``sync_log``, the newest :data:`LOG_ROWS` rows),
where rounds that ended alike share one row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from engine import local_settings, telemetry
from engine.clock import utc_now
from engine.db import Connection
from engine.errors import EngineError
from engine.telemetry import Level

LOG_ROWS = 50
# The user's choice of seconds between rounds (the settings page), and its bounds.
INTERVAL_KEY = "sync_interval"
INTERVAL_RANGE = (1.0, 3600.0)


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
    # A second PC presents this install's link, or engine.db went back to an older copy: pushing
    # would have central drop this copy's changes as already merged (re-key to go on).
    COPIED_DATABASE = "copied_database"

    @property
    def offline(self) -> bool:
        """True when the round never got an answer from a working central."""
        return self in _OFFLINE

    @property
    def needs_person(self) -> bool:
        """True when retrying cannot help until someone acts (signs in again, updates, asks an
        administrator, re-keys): sync waits for that instead of retrying."""
        return self in _NEEDS_PERSON


_OFFLINE = frozenset(
    {FailureKind.NOT_ENROLLED, FailureKind.UNREACHABLE, FailureKind.CENTRAL_FAILED}
)
_NEEDS_PERSON = frozenset(
    {
        FailureKind.UNAUTHORIZED,
        FailureKind.REVOKED,
        FailureKind.ACCOUNT_DISABLED,
        FailureKind.UPDATE_REQUIRED,
        FailureKind.COPIED_DATABASE,
    }
)
# Rounds refused the same way in a row after which sync is called stuck.
STUCK_ROUNDS = 3


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
    repeated: int = 0  # rounds in a row that ended with this failure

    @property
    def parked(self) -> bool:
        """Sync waits for the user (see :attr:`FailureKind.needs_person`)."""
        return self.last_failure is not None and self.last_failure.kind.needs_person

    @property
    def stuck(self) -> bool:
        """Central refused the same way :data:`STUCK_ROUNDS` rounds in a row, and retrying
        alone will not change that (it goes on, slowly, in case central's side is fixed)."""
        failure = self.last_failure
        return (
            failure is not None
            and not failure.kind.offline
            and not failure.kind.needs_person
            and self.repeated >= STUCK_ROUNDS
        )

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "parked": self.parked, "stuck": self.stuck}


class BadInterval(EngineError):
    status = 422
    code = "bad_interval"


def interval(conn: Connection) -> float | None:
    """Seconds between rounds the user chose, or None (the app's setting applies)."""
    value = local_settings.get(conn, INTERVAL_KEY)
    return float(value) if value else None


def set_interval(conn: Connection, seconds: float) -> float:
    low, high = INTERVAL_RANGE
    if not low <= seconds <= high:
        raise BadInterval(f"the sync interval must be {low:g} to {high:g} seconds")
    local_settings.put(conn, INTERVAL_KEY, repr(float(seconds)))
    return float(seconds)


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


def start_over(conn: Connection) -> None:
    """Forget what central was known to hold: the next round reads central's watermark afresh
    and pulls every shared change again (merging is idempotent). For a new site id (re-key) and
    for a central restored from a backup."""
    conn.execute("UPDATE sync_state SET acked_db_version = 0, pull_cursor = 0 WHERE id = 1")


EPOCH_KEY = "central_epoch"


def epoch(conn: Connection) -> str | None:
    """Central's epoch as this install last saw it (None before the first round)."""
    return local_settings.get(conn, EPOCH_KEY)


def adopt_epoch(conn: Connection, seen: str) -> bool:
    """Keep central's epoch ``seen``; True when it replaced another one, after which the install
    starts over (:func:`start_over`): central was restored or wiped."""
    known = epoch(conn)
    if not seen or known == seen:
        return False
    local_settings.put(conn, EPOCH_KEY, seen)
    if known is None:
        return False
    start_over(conn)
    telemetry.record(
        conn, Level.WARNING, "sync", "central was restored or wiped: sending and pulling again",
        {"previous_epoch": known, "epoch": seen},
    )  # fmt: skip
    return True


def _previous_failure(conn: Connection) -> tuple[str | None, str | None]:
    row = conn.execute("SELECT last_error_kind, last_error_code FROM sync_state WHERE id = 1")
    kind, code = row.fetchone()
    return kind, code


def record_success(conn: Connection) -> None:
    kind, code = _previous_failure(conn)
    now = utc_now()
    conn.execute(
        "UPDATE sync_state SET online = 1, last_attempt = ?, last_success = ?, last_error = NULL,"
        " last_error_kind = NULL, last_error_code = NULL WHERE id = 1",
        (now, now),
    )
    if kind is not None and kind != FailureKind.NOT_ENROLLED:
        telemetry.record(
            conn, Level.INFO, "sync", f"sync works again after {kind}", {"kind": kind, "code": code}
        )


# The level of the event for each kind of failure; the rest are errors.
_EVENT_LEVELS = {
    FailureKind.UNREACHABLE: Level.INFO,  # a laptop off the network is not a problem
    FailureKind.CENTRAL_FAILED: Level.WARNING,
    FailureKind.UNAUTHORIZED: Level.WARNING,
    FailureKind.REVOKED: Level.WARNING,
    FailureKind.ACCOUNT_DISABLED: Level.WARNING,
    FailureKind.UPDATE_REQUIRED: Level.WARNING,
}


def record_failure(conn: Connection, failure: SyncFailure) -> None:
    code = failure.code[:100] if failure.code else None
    if _previous_failure(conn) != (failure.kind.value, code):
        _failure_event(conn, failure)
    conn.execute(
        "UPDATE sync_state SET online = ?, last_attempt = ?, last_error = ?, last_error_kind = ?,"
        " last_error_code = ? WHERE id = 1",
        (
            int(not failure.kind.offline),
            utc_now(),
            failure.detail[:500],
            failure.kind.value,
            code,
        ),
    )


def _failure_event(conn: Connection, failure: SyncFailure) -> None:
    if failure.kind is FailureKind.NOT_ENROLLED:  # not a failure: nobody signed in yet
        return
    telemetry.record(
        conn,
        _EVENT_LEVELS.get(failure.kind, Level.ERROR),
        "sync",
        f"sync failed: {failure.kind}" + (f" ({failure.code})" if failure.code else ""),
        {"kind": failure.kind.value, "code": failure.code, "detail": failure.detail[:500]},
    )


def clear_failure(conn: Connection) -> None:
    """Forget the last outcome (the link it was about has ended)."""
    conn.execute(
        "UPDATE sync_state SET online = 0, last_error = NULL, last_error_kind = NULL,"
        " last_error_code = NULL WHERE id = 1"
    )


@dataclass(frozen=True)
class LoggedRound:
    """A row of the sync log: one round, or ``rounds`` alike ones from ``started`` to
    ``ended`` (the duration is the latest one's). Counts are None for failed rounds."""

    id: int
    started: str
    ended: str
    rounds: int
    duration: float
    pushed: int | None
    pulled: int | None
    error_kind: str | None
    error_code: str | None
    error: str | None


def log_round(
    conn: Connection,
    duration: float,
    pushed: int | None = None,
    pulled: int | None = None,
    failure: SyncFailure | None = None,
) -> None:
    """Add a round that just ended, after ``duration`` seconds, to the sync log."""
    ended = datetime.now(UTC)
    started = ended - timedelta(seconds=max(duration, 0.0))
    kind = failure.kind.value if failure else None
    code = failure.code[:100] if failure and failure.code else None
    latest = conn.execute(
        "SELECT id, pushed, pulled, error_kind, error_code FROM sync_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if failure is None:
        alike = not pushed and not pulled and latest is not None and latest[3] is None
        alike = alike and not latest[1] and not latest[2]
    else:
        alike = latest is not None and (latest[3], latest[4]) == (kind, code)
    if alike:
        conn.execute(
            "UPDATE sync_log SET ended = ?, rounds = rounds + 1, duration = ?, error = ?"
            " WHERE id = ?",
            (_iso(ended), round(duration, 3), failure.detail[:500] if failure else None, latest[0]),
        )
        return
    conn.execute(
        "INSERT INTO sync_log (started, ended, duration, pushed, pulled, error_kind, error_code,"
        " error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            _iso(started),
            _iso(ended),
            round(duration, 3),
            None if failure else pushed or 0,
            None if failure else pulled or 0,
            kind,
            code,
            failure.detail[:500] if failure else None,
        ),
    )
    conn.execute(
        "DELETE FROM sync_log WHERE id <= (SELECT id FROM sync_log ORDER BY id DESC"
        " LIMIT 1 OFFSET ?)",
        (LOG_ROWS,),
    )


def sync_log(conn: Connection, limit: int = LOG_ROWS) -> list[LoggedRound]:
    """The newest rows of the sync log first."""
    rows = conn.execute(
        "SELECT id, started, ended, rounds, duration, pushed, pulled, error_kind, error_code,"
        " error FROM sync_log ORDER BY id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [LoggedRound(*row) for row in rows]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    latest = conn.execute(
        "SELECT rounds, error_kind, error_code FROM sync_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    repeated = latest[0] if kind and latest and tuple(latest[1:]) == (kind, code) else 0
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
        repeated=repeated,
    )


def _kind(value: str) -> FailureKind:
    # A kind that a later LocaNext wrote (before a downgrade) still shows as a refusal.
    try:
        return FailureKind(value)
    except ValueError:
        return FailureKind.REFUSED
