"""This install's own row in the replicated ``installs`` table, and its app sessions."""

from __future__ import annotations

import platform
import socket
import uuid

from engine import __version__
from engine.clock import utc_now
from engine.db import Connection, Database


def register(db: Database, name: str = "") -> None:
    """Create or refresh the ``installs`` row: name, OS, app version, first/last seen."""
    now = utc_now()
    with db.write() as conn:
        conn.execute(
            "INSERT INTO installs (id, name, os, app_version, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " name = excluded.name, os = excluded.os, app_version = excluded.app_version,"
            " last_seen = excluded.last_seen",
            (
                db.install_id,
                name or socket.gethostname(),
                f"{platform.system()} {platform.release()}",
                __version__,
                now,
                now,
            ),
        )


def start_session(db: Database, username: str) -> str:
    session_id = str(uuid.uuid4())
    with db.write() as conn:
        conn.execute(
            "INSERT INTO sessions (id, install_id, username, started) VALUES (?, ?, ?, ?)",
            (session_id, db.install_id, username, utc_now()),
        )
    return session_id


def end_session(db: Database, session_id: str, reason: str) -> None:
    with db.write() as conn:
        conn.execute(
            "UPDATE sessions SET ended = ?, end_reason = ? WHERE id = ?",
            (utc_now(), reason, session_id),
        )


def move_rows(conn: Connection, old_id: str, new_id: str) -> int:
    """After a re-key: the runs, sessions and events central holds nothing of yet (every clock
    of the row is this site's) now name the new install id. Rows central holds a part of stay
    the old install's. Returns how many rows moved."""
    moved = 0
    for table in ("sessions", "operations", "events"):  # our names, not input
        moved += conn.execute(
            f"UPDATE {table} SET install_id = ? WHERE install_id = ? AND NOT EXISTS"  # noqa: S608
            f" (SELECT 1 FROM {table}__crsql_pks p JOIN {table}__crsql_clock c"
            f" ON c.key = p.__crsql_key WHERE p.id = {table}.id AND c.site_id <> 0)",
            (new_id, old_id),
        ).rowcount
    return moved
