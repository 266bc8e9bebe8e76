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
from collections.abc import Callable
from dataclasses import dataclass

from engine import sync_state
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from replicator import backoff, inbox, link, outbox
from replicator.client import CentralClient
from replicator.errors import (
    CentralRejected,
    CentralRestored,
    NotEnrolled,
    RestoredDatabase,
    SyncError,
)
from replicator.prefetch import Prefetch
from replicator.wire import MAX_CHANGES_PER_PUSH, SiteState

log = logging.getLogger(__name__)

# While sync waits for the user, one round this often still asks central: an administrator may
# have lifted the refusal (restored the install, enabled the account, relaxed the schema).
PARKED_PROBE = 600.0


@dataclass(frozen=True)
class SyncReport:
    pushed: int
    pulled: int
    acked_db_version: int
    pull_cursor: int
    central: SiteState  # central's state for this install as the round left it


# Refusals of a push that mean central's state changed since it was remembered (restored from a
# backup, a lost push, a new body limit): the round asks central and pushes again.
_STALE_STATE = frozenset({"ahead_of_central", "payload_too_large"})


def push_all(
    db: Database, client: CentralClient, target: int = 4000, known: SiteState | None = None
) -> tuple[int, SiteState]:
    """Send every change of ours central does not hold; returns (changes sent, central's state).

    Resumes from what central says it holds (its watermark and any parked part), so after a
    crash or a cut at most the push in flight is sent again. ``known`` is that state as an
    earlier round of this process left it (central's own answers): the round then starts with
    its push, or sends nothing when nothing is new, and asks central only if the push is refused
    as out of date.
    """
    if known is not None:
        try:
            return _push_from(db, client, known, target)
        except CentralRejected as exc:
            if exc.code not in _STALE_STATE:
                raise
            log.info("central's state changed since the last round (%s): asking it", exc.code)
    return _push_from(db, client, _ask_state(db, client), target)


def _ask_state(db: Database, client: CentralClient) -> SiteState:
    state = client.site_state()
    with db.read() as conn:
        known = sync_state.epoch(conn)
    if state.epoch and state.epoch != known:
        with db.write() as conn:
            if sync_state.adopt_epoch(conn, state.epoch):
                log.warning(
                    "central was restored or wiped: sending from %d, pulling again",
                    state.acked_db_version,
                )
    return state


def _push_from(
    db: Database, client: CentralClient, state: SiteState, target: int
) -> tuple[int, SiteState]:
    acked, partial, sent = state.acked_db_version, state.partial, 0
    with db.read() as conn:
        local = int(conn.execute("SELECT crsql_db_version()").fetchone()[0])
    if acked > local:
        refusal = RestoredDatabase(acked, local)
        try:  # the admins see it with the install's sync health
            client.held("restored_database")
        except SyncError as exc:
            log.info("could not tell central that sync waits: %s", exc)
        raise refusal
    with db.snapshot() as snapshot:
        requests = outbox.pushes(
            snapshot,
            lambda version: _version_size(db, version),
            db.site_id,
            SCHEMA_VERSION,
            acked,
            partial,
            target=target,
            limit=MAX_CHANGES_PER_PUSH,
            max_bytes=state.max_body_bytes,
        )
        # The next push is read while central merges this one.
        with Prefetch(requests) as prefetched:
            for request in prefetched:
                response = client.push(request.model_copy(update={"since": acked}))
                acked, partial = response.acked_db_version, response.partial
                with db.write() as conn:
                    sync_state.advance_acked(conn, acked)
                sent += len(request.changes)
    with db.write() as conn:
        sync_state.advance_acked(conn, acked)
    return sent, state.model_copy(update={"acked_db_version": acked, "partial": partial})


def _version_size(db: Database, version: int) -> tuple[int, int]:
    with db.read() as conn:
        return outbox.version_size(conn, version)


def pull_all(db: Database, client: CentralClient, limit: int = 5000) -> tuple[int, int]:
    """Apply every shared change central has past our cursor; returns (changes, cursor)."""
    with db.read() as conn:
        cursor = sync_state.pull_cursor(conn)
        epoch = sync_state.epoch(conn)
    received = 0
    while True:
        response = client.pull(cursor, limit)
        if response.epoch and response.epoch != epoch:
            raise CentralRestored("central was restored or wiped during this round; starting over")
        with db.write() as conn:
            inbox.apply(conn, response.changes)
            sync_state.advance_cursor(conn, response.cursor)
        received += len(response.changes)
        cursor = max(cursor, response.cursor)
        if not response.more:
            return received, cursor


def sync_once(
    db: Database, client: CentralClient | None = None, known: SiteState | None = None
) -> SyncReport:
    """One full round. Records the outcome for the status bar; raises :class:`SyncError`.

    Without ``client``, one is made from the stored link for this round only. ``known`` is
    central's state as the previous round with ``client`` reported it (see :func:`push_all`)."""
    started = time.monotonic()
    try:
        if client is None:
            with link.load(db).client() as own:
                pushed, central = push_all(db, own, known=known)
                pulled, cursor = pull_all(db, own)
        else:
            pushed, central = push_all(db, client, known=known)
            pulled, cursor = pull_all(db, client)
    except SyncError as exc:
        with db.write() as conn:
            sync_state.record_failure(conn, exc.failure())
            sync_state.log_round(conn, time.monotonic() - started, failure=exc.failure())
        raise
    with db.write() as conn:
        sync_state.record_success(conn)
        sync_state.log_round(conn, time.monotonic() - started, pushed, pulled)
    acked = central.acked_db_version
    log.info("synced: pushed %d, pulled %d (acked %d, cursor %d)", pushed, pulled, acked, cursor)
    return SyncReport(pushed, pulled, acked, cursor, central)


class Syncer:
    """Runs :func:`sync_once` in a background thread: every ``interval`` seconds, soon after a
    local commit, and after a failure with jittered exponential back-off
    (:func:`replicator.backoff.retry_delay`, up to ``max_backoff``). It asks central's state on
    its first round, after a failure and when the user acts; other rounds start with their push,
    from the state central's answers left (see :func:`push_all`).

    A refusal that needs a person (:attr:`FailureKind.needs_person`: signed out by central,
    revoked, disabled, update required, a copied database) parks the loop: no request goes to
    central until :meth:`resume` (the user's "Sync now", signing in again, a re-key), until the
    stored link changes (someone enrolled again, e.g. ``locanext enroll``), or for one probe
    every ``parked_probe`` seconds (an administrator may have lifted it). Local commits do not
    wake a parked loop."""

    def __init__(
        self,
        db: Database,
        interval: float = 5.0,
        max_backoff: float = backoff.MAX_DELAY,
        debounce: float = 0.05,
        rng: random.Random | None = None,
        on_round: Callable[[], None] | None = None,
        parked_probe: float = PARKED_PROBE,
    ) -> None:
        self._db = db
        self._interval, self._max_backoff, self._debounce = interval, max_backoff, debounce
        self._rng = rng or random.Random()
        self._on_round = on_round or (lambda: None)  # after each round that asked central
        self._wake = threading.Event()
        self._resume = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replicator", daemon=True)
        # One HTTP client (and its connection) across rounds, remade when the link changes.
        self._client: tuple[link.CentralLink, CentralClient] | None = None
        # Central's state for this install as the last round left it: the next round starts with
        # its push instead of asking. Forgotten on any failure and with the client.
        self._central: SiteState | None = None
        # The link central refused in a way that needs a person; None while not parked.
        self._parked_on: link.CentralLink | None = None
        self._parked_probe, self._parked_until = parked_probe, 0.0
        self.turns = 0  # turns of the loop so far (a parked turn asks central nothing)

    @property
    def parked(self) -> bool:
        return self._parked_on is not None

    def nudge(self) -> None:
        # Our own bookkeeping commits must not re-trigger a round.
        if threading.current_thread() is not self._thread:
            self._wake.set()

    def resume(self) -> None:
        """The user acted: run a round now, parked or not."""
        self._resume.set()
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
                failures, delay = self._round(failures)
            except Exception:
                failures += 1
                delay = backoff.retry_delay(failures, self._rng, cap=self._max_backoff)
                log.exception("sync crashed; retrying in %.1f s", delay)
            self.turns += 1
            if self._wake.wait(delay):
                self._stop.wait(self._debounce)
        if self._client is not None:
            self._client[1].close()

    def _round(self, failures: int) -> tuple[int, float]:
        """One turn of the loop: (failures in a row, seconds to wait)."""
        try:
            central = link.load(self._db)
        except NotEnrolled:
            self._parked_on = None
            return 0, self._interval  # nothing to do until someone enrolls
        if self._parked_on is not None:
            probe_due = time.monotonic() >= self._parked_until
            if self._parked_on == central and not self._resume.is_set() and not probe_due:
                return failures, self._interval  # only a local look at the link meanwhile
            log.info("sync resumes" if not probe_due else "sync waits; one probe of central")
            self._parked_on = None
        if self._resume.is_set():  # the user acted: this round asks central afresh
            self._central = None
        self._resume.clear()
        try:
            return self._attempt(central, failures)
        finally:
            self._on_round()

    def _attempt(self, central: link.CentralLink, failures: int) -> tuple[int, float]:
        client = self._client_for(central)
        known, self._central = self._central, None
        try:
            self._central = sync_once(self._db, client, known).central
        except NotEnrolled:
            return 0, self._interval
        except SyncError as exc:
            failures += 1
            if exc.kind.needs_person:
                self._parked_on = central
                self._parked_until = time.monotonic() + self._parked_probe
                log.warning("sync waits for the user: %s", exc)
                return failures, self._interval
            delay = backoff.retry_delay(failures, self._rng, cap=self._max_backoff)
            log.log(
                logging.DEBUG if exc.is_unavailable() else logging.WARNING,
                "sync failed (%d in a row), next try in %.1f s: %s",
                failures,
                delay,
                exc,
            )
            return failures, delay
        return 0, self._interval

    def _client_for(self, central: link.CentralLink) -> CentralClient:
        if self._client is None or self._client[0] != central:
            if self._client is not None:
                self._client[1].close()
            self._client, self._central = (central, central.client()), None
        return self._client[1]
