"""Rate and time left of a running task, measured on the engine's side from the worker's reports,
and the short texts the UI and the command line show for them."""

from __future__ import annotations

import time
from collections import deque

# Rate over the last few seconds: follows a tool whose speed changes between phases.
WINDOW_SECONDS = 5.0


def waiting(has_worker: bool) -> str:
    """What a queued task waits for: a free worker, or its worker to finish starting."""
    return "starting its worker" if has_worker else "waiting for a free worker"


class RateMeter:
    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(
        self, done: int, total: int | None, now: float | None = None
    ) -> tuple[float | None, float | None]:
        """Record ``done`` at ``now``; returns (items per second, seconds left), None if unknown."""
        now = time.monotonic() if now is None else now
        if self._samples and done < self._samples[-1][1]:
            self._samples.clear()  # the tool restarted its count for a new phase
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self._window:
            self._samples.popleft()
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 - t0 <= 0 or d1 <= d0:
            return None, None
        rate = (d1 - d0) / (t1 - t0)
        eta = max(total - done, 0) / rate if total is not None else None
        return rate, eta


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_rate(rate: float | None) -> str:
    if rate is None:
        return "? /s"
    return f"{rate:,.1f}/s" if rate < 100 else f"{rate:,.0f}/s"


def describe(done: int, total: int | None, step: str, rate: float | None, eta: float | None) -> str:
    """One line such as ``12/40 · quests_ko.txt · 3.4/s · ETA 8 s``."""
    parts = [f"{done}/{total}" if total is not None else str(done)]
    if step:
        parts.append(step)
    parts.append(format_rate(rate))
    if total is not None:
        parts.append(f"ETA {format_seconds(eta)}")
    return " · ".join(parts)
