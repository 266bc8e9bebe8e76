"""Spare workers: a run starts in a worker started ahead (tools imported), a cancel still stops
that process, a new spare takes its place, and a spare that died while waiting costs nothing."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from engine.operations import OperationLog
from engine.tasks import TaskManager
from engine.tasks.supervisor import Worker
from tests.engine.test_tasks import gone, long_run
from tests.waiting import wait_for


@pytest.fixture
def ops(make_db) -> OperationLog:
    return OperationLog(make_db())


def ready_spare(manager: TaskManager, other_than: int | None = None) -> Worker:
    """The one spare waiting with the tools imported (other than the pid given)."""
    spares = wait_for(
        manager.spares.waiting,
        until=lambda idle: len(idle) == 1 and idle[0].pid != other_than and idle[0].ready(),
        timeout=60,
        what="one ready spare worker",
    )
    return spares[0]


def small_text(tmp_path: Path) -> Path:
    path = tmp_path / "small_ko.txt"
    path.write_text("하나\n둘\n", encoding="utf-8")
    return path


def test_a_run_takes_the_spare_a_cancel_kills_it_and_a_new_spare_appears(
    ops: OperationLog, tmp_path: Path
) -> None:
    manager = TaskManager(ops, tmp_path / "data", max_workers=1, spare_workers=1)
    try:
        manager.start_spares()
        spare = ready_spare(manager)

        running = long_run(manager, tmp_path, tmp_path / "report.tsv")
        assert running.pid == spare.pid and running.state == "running"
        assert manager.spares.waiting() == []  # replaced once the run has ended

        manager.cancel(running.id)
        assert manager.wait(running.id, timeout=60).state == "cancelled"
        assert gone(spare.pid)
        fresh = ready_spare(manager, other_than=spare.pid)

        task = manager.submit("text_stats", [small_text(tmp_path)], username="mina")
        done = manager.wait(task.id, timeout=60)
        assert done.state == "succeeded" and done.pid == fresh.pid and done.rows_in == 2
        last = ready_spare(manager, other_than=fresh.pid)
    finally:
        manager.shutdown()
    assert manager.spares.waiting() == []
    assert gone(last.pid)


def test_a_spare_that_died_while_waiting_leaves_the_run_to_a_new_worker(
    ops: OperationLog, tmp_path: Path
) -> None:
    manager = TaskManager(ops, tmp_path / "data", max_workers=1, spare_workers=1)
    try:
        manager.start_spares(replace=False)
        spare = ready_spare(manager)
        os.kill(spare.pid, signal.SIGKILL)
        wait_for(lambda: gone(spare.pid), timeout=30, what="the spare killed")

        task = manager.submit("text_stats", [small_text(tmp_path)], username="mina")
        done = manager.wait(task.id, timeout=60)
        assert (done.state, done.error, done.rows_in) == ("succeeded", None, 2)
        assert done.pid is not None and done.pid != spare.pid
        assert manager.spares.waiting() == []  # replace=False: none started after the run
    finally:
        manager.shutdown()
