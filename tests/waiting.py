"""Waiting in tests: poll until something holds or a deadline passes, and on failure say what was
awaited and what was seen last.

Deadlines are generous on purpose: they bound a hang, they are not a speed requirement (tests run
on loaded 2-core machines). A check may raise (e.g. assert that a process is still alive) to fail
at once instead of waiting out the deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_SHOWN = 2000  # characters of the last value a failure message keeps


class WaitTimeout(AssertionError):
    """The deadline passed before the awaited condition held."""


def wait_for(
    read: Callable[[], T],
    *,
    timeout: float,
    what: str,
    until: Callable[[T], Any] = bool,
    interval: float = 0.05,
    context: Callable[[], str] | None = None,
) -> T:
    """Call ``read`` every ``interval`` seconds until ``until(value)`` holds (by default: until
    the value is truthy) and return that value. After ``timeout`` seconds raise
    :class:`WaitTimeout` naming ``what``, the last value read and ``context()`` (a log's tail)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            seen = repr(value)
            if len(seen) > _SHOWN:  # the end: the latest of a growing list, a log's tail
                seen = f"({len(seen)} characters) ..." + seen[-_SHOWN:]
            message = f"waited {timeout:g} s for {what}; last seen: {seen}"
            raise WaitTimeout(message + (f"\n{context()}" if context else ""))
        time.sleep(interval)
