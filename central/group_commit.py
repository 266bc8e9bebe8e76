"""Group commit: pushes that arrive together are taken in one merge transaction.

Merges are serialized cluster-wide by one lock (:func:`central.merge.begin_merge`), so under many
small pushes the fixed cost of a transaction (lock, version, notification, commit and its WAL
flush) would be paid once per push. Here one thread per process takes every push waiting when it
is free, and every push that arrives while it waits for the lock (up to :data:`MAX_PUSHES` pushes
or :data:`MAX_CHANGES` changes), and takes them in one transaction: one lock, one central
db_version, one notification, one commit, one merge. Each push is planned, parked and checked in
arrival order (its parking in a savepoint; what they all read is read once, see
:func:`central.ingest.prepare_all`), so a refused push leaves the others of its group untouched;
then the watermarks move and the changes of all are merged in one batch (in arrival order, so
ties go as they would one push after the other).
Should that merge fail, the group is taken again push by push, each whole in its savepoint, so a
push that breaks the merge fails alone. Every push is answered only after its group committed;
when the database fails, every push of the group gets that failure.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy import Engine

from central import ingest, notices
from central.batch_merge import merge_batch
from central.ingest import CheckedPush
from central.merge import begin_merge
from replicator.wire import PushResponse

log = logging.getLogger(__name__)

MAX_PUSHES = 64
MAX_CHANGES = 20_000


@dataclass
class _Waiting:
    push: CheckedPush
    answer: Future[PushResponse] = field(default_factory=Future)

    @property
    def size(self) -> int:
        return len(self.push.request.changes)


class GroupCommit:
    """The merging thread of one central process and its queue of checked pushes."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.Queue[_Waiting | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._carry: _Waiting | None = None
        self.groups = 0  # committed so far
        self.pushes = 0  # taken in those groups
        self.taking = 0  # pushes of the group in progress

    @property
    def waiting(self) -> int:
        """Pushes queued and not yet taken into a group."""
        return self._queue.qsize()

    async def submit(self, push: CheckedPush) -> PushResponse:
        """Queue a checked push; its answer once its group has committed."""
        waiting = _Waiting(push)
        self._start()
        self._queue.put(waiting)
        return await asyncio.wrap_future(waiting.answer)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (group := self._next_group()) is not None:
            self.taking = len(group)
            try:
                self._take(group)
            except Exception:  # never leave the pushes behind it waiting forever
                log.exception("the merging thread failed on a group of %d pushes", len(group))
                for waiting in group:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(RuntimeError("merge failed"))
            self.taking = 0

    def _next_group(self) -> list[_Waiting] | None:
        """The next push to take (waiting for one) and those waiting behind it; None to stop."""
        while True:
            first = self._carry or self._queue.get()
            self._carry = None
            if first is None:
                return None
            if self._running(first):
                return self._fill([first])

    def _fill(self, group: list[_Waiting]) -> list[_Waiting]:
        """Add the pushes waiting now to ``group`` (in place), up to the group's limits, in
        arrival order: nothing is added behind a push carried to the next group."""
        changes = sum(w.size for w in group)
        while len(group) < MAX_PUSHES and self._carry is None:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._queue.put(None)  # stop after this group
                break
            if changes + more.size > MAX_CHANGES:
                self._carry = more  # first of the next group
                break
            if self._running(more):
                group.append(more)
                changes += more.size
        return group

    @staticmethod
    def _running(waiting: _Waiting) -> bool:
        # A push whose request is gone (its answer cancelled) is left out: it was not
        # acknowledged, so its install sends it again.
        return waiting.answer.set_running_or_notify_cancel()

    def _take(self, group: list[_Waiting]) -> None:
        try:
            outcomes = self._merge_together(group)
        except Exception as exc:  # retried push by push below
            log.warning(
                "a merge group of %d pushes failed (%s); merging them one by one", len(group), exc
            )
            try:
                outcomes = self._merge_one_by_one(group)
            except Exception as again:  # the database itself failed: no push of it is taken
                for waiting in group:
                    waiting.answer.set_exception(again)
                return
        self.groups += 1
        self.pushes += len(group)
        for waiting, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.answer.set_exception(outcome)
            else:
                waiting.answer.set_result(outcome)

    def _merge_together(self, group: list[_Waiting]) -> list[PushResponse | BaseException]:
        """One transaction: the pushes prepared in arrival order (a refused one leaves nothing),
        the watermarks moved, then all their changes merged in one batch, in arrival order."""
        shared = ingest.Group()
        with self._engine.begin() as conn:
            db_version = begin_merge(conn)
            # The pushes that arrived while this one waited for the merge lock (another
            # process's merge) join it: the busier the lock, the larger the groups.
            self._fill(group)
            self.taking = len(group)
            outcomes = ingest.prepare_all(conn, [w.push for w in group], shared)
            ingest.record_watermarks(conn, shared.watermarks)
            prepared = [p for p in outcomes if isinstance(p, ingest.Prepared)]
            ready = [pair for p in prepared for pair in p.ready]
            merged = merge_batch(conn, ready, db_version, by_site=len(prepared) > 1)
            answers: list[PushResponse | BaseException] = []
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    answers.append(outcome)
                    continue
                site = outcome.push.install.site_id
                applied = merged.by_site.get(site, 0) if len(prepared) > 1 else merged.applied
                answers.append(ingest.answer(conn, outcome, applied))
            notices.notify_merged(conn)  # delivered when this transaction commits
        return answers

    def _merge_one_by_one(self, group: list[_Waiting]) -> list[PushResponse | BaseException]:
        """One transaction, each push taken whole in its own savepoint: a push that makes the
        merge fail fails alone."""
        outcomes: list[PushResponse | BaseException] = []
        with self._engine.begin() as conn:
            db_version = begin_merge(conn)
            for waiting in group:
                try:
                    with conn.begin_nested():
                        outcomes.append(ingest.take(conn, waiting.push, db_version))
                except Exception as exc:  # this push's answer
                    outcomes.append(exc)
            notices.notify_merged(conn)
        return outcomes
