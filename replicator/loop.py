"""The sync loop: push our own changes, then pull shared ones, forever or once.

Watermarks move only after central acknowledges (push) or after the pulled changes are applied in
the same local transaction (pull), so a crash at any point re-sends at most one batch, and
re-sending is harmless because central's merge is idempotent.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from engine import sync_state
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from replicator import inbox, link, outbox
from replicator.client import CentralClient
from replicator.errors import NotEnrolled, SyncError
from replicator.prefetch import Prefetch
from replicator.wire import MAX_CHANGES_PER_PUSH

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncReport:
    pushed: int
    pulled: int
    acked_db_version: int
    pull_cursor: int


def push_all(db: Database, client: CentralClient, target: int = 4000) -> tuple[int, int]:
    """Send every change of ours central does not hold; returns (changes sent, watermark).

    Resumes from what central says it holds (its watermark and any parked part), so after a
    crash or a cut at most the push in flight is sent again.
    """
    state = client.site_state()
    acked, sent = state.acked_db_version, 0
    with db.snapshot() as snapshot:
        requests = outbox.pushes(
            snapshot,
            lambda version: _version_size(db, version),
            db.site_id,
            SCHEMA_VERSION,
            acked,
            state.partial,
            target=target,
            limit=MAX_CHANGES_PER_PUSH,
            max_bytes=state.max_body_bytes,
        )
        # The next push is read while central merges this one.
        with Prefetch(requests) as prefetched:
            for request in prefetched:
                response = client.push(request.model_copy(update={"since": acked}))
                acked = response.acked_db_version
                with db.write() as conn:
                    sync_state.advance_acked(conn, acked)
                sent += len(request.changes)
    with db.write() as conn:
        sync_state.advance_acked(conn, acked)
    return sent, acked


def _version_size(db: Database, version: int) -> tuple[int, int]:
    with db.read() as conn:
        return outbox.version_size(conn, version)


def pull_all(db: Database, client: CentralClient, limit: int = 5000) -> tuple[int, int]:
    """Apply every shared change central has past our cursor; returns (changes, cursor)."""
    with db.read() as conn:
        cursor = sync_state.pull_cursor(conn)
    received = 0
    while True:
        response = client.pull(cursor, limit)
        with db.write() as conn:
            inbox.apply(conn, response.changes)
            sync_state.advance_cursor(conn, response.cursor)
        received += len(response.changes)
        cursor = max(cursor, response.cursor)
        if not response.more:
            return received, cursor


def sync_once(db: Database, client: CentralClient | None = None) -> SyncReport:
    """One full round. Records the outcome for the status bar; raises :class:`SyncError`.

    Without ``client``, one is made from the stored link for this round only."""
    started = time.monotonic()
    try:
        if client is None:
            with link.load(db).client() as own:
                pushed, acked = push_all(db, own)
                pulled, cursor = pull_all(db, own)
        else:
            pushed, acked = push_all(db, client)
            pulled, cursor = pull_all(db, client)
    except SyncError as exc:
        with db.write() as conn:
            sync_state.record_failure(conn, exc.failure())
            sync_state.log_round(conn, time.monotonic() - started, failure=exc.failure())
        raise
    with db.write() as conn:
        sync_state.record_success(conn)
        sync_state.log_round(conn, time.monotonic() - started, pushed, pulled)
    log.info("synced: pushed %d, pulled %d (acked %d, cursor %d)", pushed, pulled, acked, cursor)
    return SyncReport(pushed, pulled, acked, cursor)


class Syncer:
    """Runs :func:`sync_once` in a background thread: every ``interval`` seconds, soon after a
    local commit, and with jittered exponential back-off while central is unreachable."""

    def __init__(
        self, db: Database, interval: float = 5.0, max_backoff: float = 1.0, debounce: float = 0.05
    ) -> None:
        self._db = db
        self._interval, self._max_backoff, self._debounce = interval, max_backoff, debounce
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replicator", daemon=True)
        # One HTTP client (and its connection) across rounds, remade when the link changes.
        self._client: tuple[link.CentralLink, CentralClient] | None = None

    def nudge(self) -> None:
        # Our own bookkeeping commits must not re-trigger a round.
        if threading.current_thread() is not self._thread:
            self._wake.set()

    def start(self) -> None:
        self._db.on_commit(self.nudge)
        self._thread.start()

    def set_interval(self, seconds: float) -> None:
        """Seconds between rounds from now on (the user changed it); wakes the loop."""
        self._interval = seconds
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.clear()  # a commit during this round wakes the next one at once
            try:
                sync_once(self._db, self._client_for(link.load(self._db)))
                failures = 0
                delay = self._interval
            except NotEnrolled:
                failures, delay = 0, self._interval  # nothing to do until someone enrolls
            except SyncError as exc:
                failures += 1
                # 0.1, 0.2, 0.4, 0.8, 1 s: a returning central is seen within about a second
                base = min(self._max_backoff, 0.05 * 2 ** min(failures, 10))
                delay = base * random.uniform(0.5, 1.0)
                log.log(
                    logging.DEBUG if exc.is_unavailable() else logging.WARNING,
                    "sync failed (%d in a row), next try in %.1f s: %s",
                    failures,
                    delay,
                    exc,
                )
            except Exception:
                failures += 1
                delay = self._max_backoff
                log.exception("sync crashed; retrying in %.1f s", delay)
            if self._wake.wait(delay):
                self._stop.wait(self._debounce)
        if self._client is not None:
            self._client[1].close()

    def _client_for(self, central: link.CentralLink) -> CentralClient:
        if self._client is None or self._client[0] != central:
            if self._client is not None:
                self._client[1].close()
            self._client = (central, central.client())
        return self._client[1]
