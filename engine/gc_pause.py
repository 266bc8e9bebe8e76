"""Pausing Python's cycle collector around bulk work that creates no reference cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cycle collector off (restored after, also on error).

    Matching a workbook against a dictionary creates hundreds of thousands of strings and tuples,
    none of which form cycles; with a large dictionary alive, the collector's passes over them
    cost about a quarter of the run and free nothing. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
