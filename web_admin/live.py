"""The live feed's two halves: a listener of central's merge signal (``LISTEN locanext_merged``
on a connection of its own, in a thread; on a standby, its replay of the primary's WAL) that
wakes the open Live pages, and the query each page then runs for what is new, newest first, with
the page's filters."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text

from central.tables import NEVER

log = logging.getLogger(__name__)

CHANNEL = "locanext_merged"  # central's notices.MERGED_CHANNEL
SHOWN = 100  # rows a Live page keeps
FILTERS = ("install", "user", "tool", "level")
REPLAY_POLL_S = 0.5  # how often a console on a standby looks for replayed merges


class MergeSignal:
    """Calls every subscriber (in the event loop) after each merge central commits."""

    def __init__(self, engine: Engine) -> None:
        url = engine.url.set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._subscribers: set[Callable[[], None]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._listen, name="merge-signal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def subscribe(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._subscribers.add(callback)
        return lambda: self._subscribers.discard(callback)

    def _wake(self) -> None:
        for callback in list(self._subscribers):
            callback()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10) as conn:
                    replayed = _replayed(conn)
                    if replayed is None:
                        self._follow_notices(conn)
                    else:
                        self._follow_replay(conn, replayed)
            except psycopg.Error as exc:
                log.warning("merge signal lost (%s); listening again", type(exc).__name__)
                self._stop.wait(1.0)

    def _signal(self) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._wake)

    def _follow_notices(self, conn: psycopg.Connection) -> None:
        conn.execute(f"LISTEN {CHANNEL}")
        while not self._stop.is_set():
            if any(True for _ in conn.notifies(timeout=0.5, stop_after=1)):
                self._signal()

    def _follow_replay(self, conn: psycopg.Connection, seen: str) -> None:
        """On a standby, which gets no NOTIFY (not replicated; LISTEN is refused in recovery):
        wake when it has replayed more of the primary's WAL, as it does after every merge (and
        now and then for other writes: one more refresh of the pages, no harm). Until it is
        promoted; then back to notices."""
        while not self._stop.wait(REPLAY_POLL_S):
            replayed = _replayed(conn)
            if replayed is None:  # promoted
                return
            if replayed != seen:
                seen = replayed
                self._signal()


def _replayed(conn: psycopg.Connection) -> str | None:
    """How far a standby has replayed the primary's WAL; None on a server not in recovery."""
    row = conn.execute(
        "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END"
    ).fetchone()
    return row[0] if row else None


def latest(conn: Connection, filters: dict[str, str], limit: int = SHOWN) -> list[dict[str, Any]]:
    """The newest runs and events across installs (by their own time), filtered."""
    ops_where, ev_where = ["true"], ["true"]
    if filters.get("install"):
        ops_where.append("(o.install_id = :install OR i.name = :install)")
        ev_where.append("(e.install_id = :install OR i.name = :install)")
    if filters.get("user"):
        ops_where.append("o.username = :user")
        ev_where.append("false")  # events carry no user
    if filters.get("tool"):
        ops_where.append("o.tool = :tool")
        ev_where.append("e.component = 'tool.' || :tool")
    if filters.get("level"):
        ops_where.append("false")
        ev_where.append("e.level = :level")
    sql = f"""
        (SELECT 'run:' || o.id AS key, o.started AS at, 'run' AS kind,
                coalesce(i.name, left(o.install_id, 12)) AS install, o.username AS who,
                coalesce(o.tool, '') || ' ' || coalesce(o.function, '') AS what,
                coalesce(o.status, '') AS state, coalesce(o.error, '') AS detail
         FROM operations o LEFT JOIN installs i ON i.id = o.install_id
         WHERE {" AND ".join(ops_where)}
         ORDER BY coalesce(o.started, {NEVER}) DESC, o.id DESC LIMIT :n)
        UNION ALL
        (SELECT 'event:' || e.id, e.time, 'event', coalesce(i.name, left(e.install_id, 12)), '',
                coalesce(e.component, ''), coalesce(e.level, ''), coalesce(e.message, '')
         FROM events e LEFT JOIN installs i ON i.id = e.install_id
         WHERE {" AND ".join(ev_where)}
         ORDER BY coalesce(e.time, {NEVER}) DESC, e.id DESC LIMIT :n)
        ORDER BY at DESC NULLS LAST LIMIT :n
    """
    params = {k: v for k, v in filters.items() if v} | {"n": limit}
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]
