"""Limits on password checks (enrollment, staff sign-in), with the ``limits`` library.

Two kinds, each per client address and per user name, in moving windows:
- attempts: any request beyond the rate is refused (429 ``rate_limited``) before the password is
  checked, so scrypt (16 MiB, tens of milliseconds) cannot be run at will;
- failures: after too many wrong passwords the name or the address is locked out (429
  ``locked_out``) until the oldest failure leaves the window; a right password clears the name's
  failures.

The counts live in this process's memory: several central processes each count on their own, so
a team running N of them allows N times the rates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from central.errors import LockedOut, TooManyRequests, WrongCredentials


@dataclass(frozen=True)
class SignInPolicy:
    attempts_per_address: RateLimitItem = field(default_factory=lambda: parse("60/minute"))
    attempts_per_user: RateLimitItem = field(default_factory=lambda: parse("20/minute"))
    failures_per_address: RateLimitItem = field(default_factory=lambda: parse("30/15 minutes"))
    failures_per_user: RateLimitItem = field(default_factory=lambda: parse("5/15 minutes"))


def _wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


class SignInThrottle:
    def __init__(self, policy: SignInPolicy | None = None) -> None:
        self.policy = policy or SignInPolicy()
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset = self._limiter.get_window_stats(item, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def admit(self, address: str, username: str) -> None:
        """Raise unless a password check for ``username`` from ``address`` may run now."""
        p = self.policy
        for item, key, who in (
            (p.failures_per_user, f"user:{username}", f"the user name {username!r}"),
            (p.failures_per_address, f"address:{address}", "this address"),
        ):
            if not self._limiter.test(item, key):
                wait = self._retry_after(item, key)
                raise LockedOut(
                    f"too many failed sign-ins for {who}: locked for {_wait(wait)}", wait
                )
        for item, key in (
            (p.attempts_per_address, f"address:{address}"),
            (p.attempts_per_user, f"user:{username}"),
        ):
            if not self._limiter.hit(item, key):
                wait = self._retry_after(item, key)
                raise TooManyRequests(
                    f"too many sign-in attempts; try again in {_wait(wait)}", wait
                )

    def failed(self, address: str, username: str) -> None:
        self._limiter.hit(self.policy.failures_per_user, f"user:{username}")
        self._limiter.hit(self.policy.failures_per_address, f"address:{address}")

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self.policy.failures_per_user, f"user:{username}")

    @contextmanager
    def checking(self, address: str, username: str) -> Iterator[None]:
        """Around one password check: refused when limited, its outcome counted."""
        self.admit(address, username)
        try:
            yield
        except WrongCredentials:
            self.failed(address, username)
            raise
        self.succeeded(username)
