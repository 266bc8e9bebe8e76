"""The tests' one way of waiting: it returns what it waited for, and its failure says what it
awaited and what it saw last."""

from __future__ import annotations

import itertools

import pytest

from tests.waiting import WaitTimeout, wait_for


def test_returns_the_first_value_that_satisfies() -> None:
    counter = itertools.count()
    assert wait_for(lambda: next(counter), until=lambda n: n >= 3, timeout=10, what="3") == 3
    assert wait_for(lambda: "ready", timeout=10, what="anything truthy") == "ready"


def test_a_timeout_names_what_was_awaited_the_last_value_and_the_context() -> None:
    with pytest.raises(WaitTimeout) as failed:
        wait_for(
            lambda: {"pending": 4},
            until=lambda seen: seen["pending"] == 0,
            timeout=0.2,
            what="no changes waiting",
            context=lambda: "app.log: connection refused",
        )
    assert str(failed.value) == (
        "waited 0.2 s for no changes waiting; last seen: {'pending': 4}\n"
        "app.log: connection refused"
    )


def test_a_long_last_value_keeps_its_end() -> None:
    with pytest.raises(WaitTimeout) as failed:
        wait_for(lambda: "x" * 5000 + "the end", until=lambda _: False, timeout=0, what="it")
    message = str(failed.value)
    assert message.endswith("the end'") and len(message) < 2100


def test_a_check_that_raises_fails_at_once() -> None:
    def dead() -> bool:
        raise AssertionError("the process exited")

    with pytest.raises(AssertionError, match="the process exited"):
        wait_for(dead, timeout=60, what="a dead process")
