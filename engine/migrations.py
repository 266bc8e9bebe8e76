"""Versioned migrations of engine.db, each applied in its own transaction.

Applied versions are recorded in ``schema_migrations``. DDL is transactional in SQLite, so a
migration that fails midway leaves nothing behind. A database written by a newer LocaNext is
refused rather than guessed at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pysqlite3.dbapi2 as sqlite3

from engine import schema
from engine.errors import DatabaseUnusable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]
    # False for a migration of local-only tables: it leaves the replicated schema (and the
    # SCHEMA_VERSION that pushes carry) as it was.
    replicated: bool = True


def _initial(conn: sqlite3.Connection) -> None:
    for table, ddl in schema.REPLICATED_DDL.items():
        conn.execute(ddl)
        conn.execute("SELECT crsql_as_crr(?)", (table,))
    for ddl in schema.LOCAL_DDL:
        conn.execute(ddl)


def _event_values(conn: sqlite3.Connection) -> None:
    # Altering a CRR goes through cr-sqlite so its clock table follows the new column.
    conn.execute("SELECT crsql_begin_alter('events')")
    conn.execute(f"ALTER TABLE events ADD COLUMN {schema.EVENT_VALUE_DDL}")
    conn.execute("SELECT crsql_commit_alter('events')")


def _sync_failure_kind(conn: sqlite3.Connection) -> None:
    for ddl in schema.SYNC_FAILURE_DDL:
        conn.execute(ddl)


def _sync_log(conn: sqlite3.Connection) -> None:
    conn.execute(schema.SYNC_LOG_DDL)


def _desktop_tables(conn: sqlite3.Connection) -> None:
    for ddl in schema.DESKTOP_DDL:
        conn.execute(ddl)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "replicated and local tables", _initial),
    Migration(2, "events carry a measured value of any type", _event_values),
    Migration(
        3, "sync_state keeps the kind of the last failure", _sync_failure_kind, replicated=False
    ),
    Migration(
        4,
        "desktop app: announcements read, own glossary edits, glossary index",
        _desktop_tables,
        replicated=False,
    ),
    Migration(5, "sync log of the latest rounds", _sync_log, replicated=False),
)

# The newest migration this build knows; a database past it is from a newer LocaNext.
LATEST_VERSION = MIGRATIONS[-1].version
# The version of the replicated schema this build speaks, sent with every push: central numbers
# its schema the same way, counting only the migrations that change replicated tables.
SCHEMA_VERSION = sum(m.replicated for m in MIGRATIONS)


def applied_version(conn: sqlite3.Connection) -> int:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))) STRICT"
    )
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Bring ``conn`` to the newest schema; returns the number of migrations applied."""
    current = applied_version(conn)
    if current > LATEST_VERSION:
        raise DatabaseUnusable(
            f"engine.db is at schema version {current}, newer than this LocaNext "
            f"({LATEST_VERSION}). Update LocaNext to open it."
        )
    pending = [m for m in MIGRATIONS if m.version > current]
    for migration in pending:
        conn.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(conn)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                (migration.version, migration.name),
            )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        log.info("engine.db migrated to version %d (%s)", migration.version, migration.name)
    return len(pending)
