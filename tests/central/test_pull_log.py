"""Installs' pulls are written in batches, the newest of each install, never backwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from central.pull_log import PullLog
from tests.waiting import wait_for

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def installs(central_db: Engine) -> Engine:
    with central_db.begin() as conn:
        conn.execute(
            text("INSERT INTO enrollments (install_id, username) VALUES ('i1', 'u'), ('i2', 'u')")
        )
    return central_db


def _pulls(engine: Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT install_id, last_pull, pull_cursor FROM enrollments"))
        return {r.install_id: (r.last_pull, r.pull_cursor) for r in rows}


def test_a_flush_writes_each_installs_latest_pull(installs: Engine) -> None:
    log = PullLog(installs)
    log.record("i1", 5, T0)
    log.record("i1", 9, T0 + timedelta(seconds=2))
    log.record("i1", 7, T0 + timedelta(seconds=1))  # answered late: older than the one kept
    log.record("i2", 3, T0)
    assert _pulls(installs) == {"i1": (None, None), "i2": (None, None)}
    log.flush()
    assert _pulls(installs) == {"i1": (T0 + timedelta(seconds=2), 9), "i2": (T0, 3)}


def test_an_older_pull_never_replaces_a_newer_one_stored(installs: Engine) -> None:
    other_process, this_process = PullLog(installs), PullLog(installs)
    other_process.record("i1", 9, T0 + timedelta(seconds=1))
    other_process.flush()
    this_process.record("i1", 4, T0)
    this_process.record("i2", 4, T0)
    this_process.flush()
    assert _pulls(installs) == {"i1": (T0 + timedelta(seconds=1), 9), "i2": (T0, 4)}


def test_pulls_are_written_in_the_background_and_when_it_stops(installs: Engine) -> None:
    log = PullLog(installs, every_s=0.05)
    log.start()
    log.record("i1", 1, T0)
    written = wait_for(
        lambda: _pulls(installs)["i1"], timeout=30, what="the background flush", until=any
    )
    assert written == (T0, 1)
    log.record("i2", 2, T0)
    log.close()
    assert _pulls(installs)["i2"] == (T0, 2)


def test_a_flush_in_the_background_skips_a_row_a_merge_holds_and_writes_it_next_time(
    installs: Engine,
) -> None:
    log = PullLog(installs)
    log.record("i1", 1, T0)
    log.record("i2", 2, T0)
    log.record("gone", 3, T0)  # an install deleted since: dropped, not kept forever
    with installs.connect() as merge, merge.begin():  # a merge holding i1's enrollment
        merge.execute(text("SELECT 1 FROM enrollments WHERE install_id = 'i1' FOR UPDATE"))
        log.flush(wait=False)  # returns at once: does not wait for the merge
        assert _pulls(installs) == {"i1": (None, None), "i2": (T0, 2)}
    log.flush(wait=False)
    assert _pulls(installs) == {"i1": (T0, 1), "i2": (T0, 2)}
    assert log.pending == 0
