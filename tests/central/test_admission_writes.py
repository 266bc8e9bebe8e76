"""What an admitted request writes to its enrollment: usually nothing, so most requests only
read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from central.enrollments import TOKEN_LIFETIME, admission_writes

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _row(expires: datetime | None, machine: str | None = "a" * 32) -> SimpleNamespace:
    return SimpleNamespace(expires=expires, machine=machine)


def test_a_token_renewed_today_needs_no_write() -> None:
    assert admission_writes(_row(NOW + TOKEN_LIFETIME - timedelta(hours=23)), NOW, "a" * 32) == {}


def test_a_token_renewed_over_a_day_ago_is_renewed() -> None:
    row = _row(NOW + TOKEN_LIFETIME - timedelta(days=1, seconds=1))
    assert admission_writes(row, NOW, "a" * 32) == {"expires": NOW + TOKEN_LIFETIME}
    assert admission_writes(_row(None), NOW) == {"expires": NOW + TOKEN_LIFETIME}


def test_an_enrollment_without_a_nonce_is_bound_to_the_one_presented() -> None:
    fresh = NOW + TOKEN_LIFETIME
    assert admission_writes(_row(fresh, machine=None), NOW, "b" * 32) == {"machine": "b" * 32}
    assert admission_writes(_row(fresh, machine=None), NOW, None) == {}
    assert admission_writes(_row(fresh), NOW, "b" * 32) == {}  # a copy: refused by admit
