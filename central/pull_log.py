"""Installs' pulls (time and cursor), kept in memory and written in batches.

``last_pull`` and ``pull_cursor`` are sync health for the console only. Writing them with every
pull would add a write transaction to central's most frequent request, so each central process
keeps the latest pull of each install and writes them all in one statement about once a second
(and when it stops). A crash may lose the newest second of them; the next pull records it again.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0

# Never backwards: a row keeps a newer pull another central process wrote. The rows are locked
# in install id order, as a merge group locks its installs' rows (central.ingest), so the two
# never wait on each other in a cycle; in the background, a row a merge holds is skipped (kept
# for the next flush), so merges never wait behind a flush that waits behind another merge.
# Returns the rows it skipped (an install gone since is neither).
_WRITE = """
    WITH locked AS (
        SELECT install_id FROM enrollments WHERE install_id = ANY (CAST(:ids AS text[]))
         ORDER BY install_id FOR UPDATE {skip}
    ), written AS (
        UPDATE enrollments e
           SET last_pull = v.at, pull_cursor = v.cursor
          FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[]),
                      CAST(:cursors AS bigint[])) AS v(install_id, at, cursor), locked l
         WHERE e.install_id = v.install_id AND l.install_id = v.install_id
           AND (e.last_pull IS NULL OR e.last_pull <= v.at)
    )
    SELECT e.install_id FROM enrollments e
     WHERE e.install_id = ANY (CAST(:ids AS text[]))
       AND e.install_id NOT IN (SELECT install_id FROM locked)
"""
_WRITE_WAITING = text(_WRITE.format(skip=""))
_WRITE_SKIPPING = text(_WRITE.format(skip="SKIP LOCKED"))


class PullLog:
    """The latest pull of each install, written to ``enrollments`` by a background thread."""

    def __init__(self, engine: Engine, every_s: float = FLUSH_EVERY_S) -> None:
        self._engine = engine
        self._every_s = every_s
        self._pending: dict[str, tuple[datetime, int]] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one write at a time, so an older batch never lands last
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        """Installs whose latest pull is not written yet."""
        with self._lock:
            return len(self._pending)

    def record(self, install_id: str, cursor: int, at: datetime) -> None:
        with self._lock:
            known = self._pending.get(install_id)
            if known is None or known[0] <= at:
                self._pending[install_id] = (at, cursor)

    def flush(self, wait: bool = True) -> None:
        """Write what was recorded since the last flush; without ``wait``, what a merge holds
        is left for the next one."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, {}
            if not batch:
                return
            params = {
                "ids": list(batch),
                "ats": [at for at, _ in batch.values()],
                "cursors": [cursor for _, cursor in batch.values()],
            }
            statement = _WRITE_WAITING if wait else _WRITE_SKIPPING
            try:
                with self._engine.begin() as conn:
                    conn.execute(text("SET LOCAL synchronous_commit = off"))
                    left = set(conn.execute(statement, params).scalars())
            except SQLAlchemyError as exc:
                log.warning("could not record %d installs' pulls: %s", len(batch), exc)
                left = set(batch)
            for install_id in left:  # kept for the next flush, unless newer ones came
                at, cursor = batch[install_id]
                self.record(install_id, cursor, at)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="central-pull-log", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._every_s):
            self.flush(wait=False)
