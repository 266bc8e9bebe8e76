"""How long the sync loop waits before the next try after a failed round.

Exponential with jitter: 0.1 s after the first failure, doubling up to :data:`MAX_DELAY`, each
delay drawn from its upper half so that installs cut off by one outage do not come back in step.
A returning central is seen within a second or two of a short outage, and a long one costs each
install a request every few minutes. Refusals that need a person do not come here: the loop
waits for the user instead (:attr:`engine.sync_state.FailureKind.needs_person`).
"""

from __future__ import annotations

import random

FIRST_DELAY = 0.1
MAX_DELAY = 300.0


def retry_delay(
    failures: int, rng: random.Random, *, first: float = FIRST_DELAY, cap: float = MAX_DELAY
) -> float:
    """Seconds to wait after ``failures`` failed rounds in a row (1 or more)."""
    # min() before the power keeps 2 ** n finite however long the outage lasts.
    base = min(cap, first * 2 ** min(max(failures, 1) - 1, 64))
    return base * rng.uniform(0.5, 1.0)
