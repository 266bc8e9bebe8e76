"""Long lists of texts worked through a batch at a time.

Matching works on whole batches (numpy arrays, one ``cpdist`` call), so the work is cut into
batches of :data:`BATCH` texts: large enough that per-call costs vanish, small enough that a
batch's arrays stay a few MB. Progress is reported after every full batch.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

BATCH = 1000

Progress = Callable[[int, int], None]
"""``progress(done, total)``."""


def batches(
    items: Sequence[T], progress: Progress | None = None, size: int = BATCH
) -> Iterator[tuple[int, Sequence[T]]]:
    """``(start, items[start:start + size])`` in order; ``progress(done, total)`` once each full
    batch has been handled (when the caller asks for the next one)."""
    total = len(items)
    for start in range(0, total, size):
        yield start, items[start : start + size]
        if progress is not None and start + size <= total:
            progress(start + size, total)


def map_distinct(
    work: Callable[[list[K]], Sequence[R]],
    items: Sequence[K],
    progress: Progress | None = None,
    size: int = BATCH,
) -> list[R]:
    """One result per item, batch by batch: ``work`` gets the batch's distinct items not seen in
    an earlier batch and returns one result for each; a repeated item reuses its result."""
    seen: dict[K, R] = {}
    out: list[R] = []
    for _start, chunk in batches(items, progress, size):
        new = [item for item in dict.fromkeys(chunk) if item not in seen]
        seen.update(zip(new, work(new), strict=True))
        out += map(seen.__getitem__, chunk)
    return out
