"""Spare workers: worker processes started ahead of the runs, so a run starts at once.

Starting a worker costs Python's start and the tools' imports (numpy, openpyxl...), most of a
second. The task manager keeps a few workers that have done that and wait for an order; a run
takes one (:meth:`Spares.take`), and a new spare is started to replace it once the run has ended.
Each worker still runs one task only, so a cancel still ends the run by stopping its process.
"""

from __future__ import annotations

import logging
import threading

from engine.tasks.supervisor import Worker, start_worker

log = logging.getLogger(__name__)

NAME = "locanext-spare-worker"


class Spares:
    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []
        self._closed = False

    def _drop_dead(self) -> None:
        for gone in [w for w in self._idle if not w.alive()]:
            log.warning("spare worker %d stopped while it waited", gone.pid)
            self._idle.remove(gone)
            gone.close()

    def fill(self) -> None:
        """Start spares until ``size`` wait (none once closed)."""
        with self._lock:
            self._drop_dead()
            while not self._closed and len(self._idle) < self.size:
                spare = start_worker(NAME)
                self._idle.append(spare)
                log.info("spare worker %d started", spare.pid)

    def take(self) -> Worker | None:
        """The oldest waiting spare (the most likely to be ready), or None."""
        with self._lock:
            self._drop_dead()
            return self._idle.pop(0) if self._idle else None

    def waiting(self) -> list[Worker]:
        """The spares waiting now (started; ``ready()`` says which have finished importing)."""
        with self._lock:
            return list(self._idle)

    def close(self) -> None:
        """Stop every waiting spare; start no more."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for spare in idle:
            spare.close()
