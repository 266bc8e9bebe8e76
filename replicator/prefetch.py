"""Running a producer a few items ahead of its consumer, in a thread of its own.

The replicator reads and encodes the next push from engine.db while central merges the current
one, so the install's work and central's overlap instead of adding up.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class Prefetch(Generic[T]):
    """Iterate ``source`` in a background thread, at most ``depth`` items ahead. Use it as a
    context manager: leaving the block stops the producer and waits for it, so whatever the source
    reads from can be closed right after."""

    def __init__(self, source: Iterable[T], depth: int = 2) -> None:
        self._source = source
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="prefetch", daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with suppress(queue.Empty):  # unblock a producer waiting for room
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Failure(exc))
            return
        finally:
            # A generator left suspended would be closed later by the garbage collector, maybe
            # after what it reads from is gone; close it here, in the thread that ran it.
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
        self._put(_END)

    def _consume(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
