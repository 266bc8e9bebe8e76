"""Tasks run tools in real worker processes and end as one operation row each: success, bad
input, a cancel of a long run, a worker killed from outside, a queue, and the app closing."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from engine.errors import BadParams, UnknownTool
from engine.operations import OperationLog
from engine.tasks import Task, TaskManager, TasksClosed
from engine.tasks.progress import RateMeter, describe
from engine.tasks.supervisor import remove_stray_temporaries
from tests.waiting import wait_for

LINE = "<PAColor0xffe9bd23>전설의 검<PAOldColor>을 찾아라 {0} abcdefghij\n"


def big_text(path: Path, megabytes: int) -> Path:
    path.write_text(LINE * (megabytes * 1_000_000 // len(LINE.encode())), encoding="utf-8")
    return path


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def ops(make_db) -> OperationLog:
    return OperationLog(make_db())


@pytest.fixture
def tasks(ops: OperationLog, tmp_path: Path) -> Iterator[TaskManager]:
    manager = TaskManager(ops, tmp_path / "data", max_workers=1)
    yield manager
    manager.shutdown()


def long_run(tasks: TaskManager, tmp_path: Path, report: Path) -> Task:
    """text_stats over 400 copies of a 20 MB file: about a minute and a half on this machine."""
    source = big_text(tmp_path / "big_ko.txt", 20)
    task = tasks.submit("text_stats", [source] * 400, {"report": str(report)}, username="mina")
    return wait_for(
        lambda: tasks.get(task.id) or task,
        until=lambda seen: seen.done >= 2,
        timeout=60,
        what="two files counted",
    )


def test_a_task_runs_in_a_worker_and_ends_as_one_right_row(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    private = tmp_path / "private folder"
    private.mkdir()
    inputs = [private / f"quests_{i}_ko.txt" for i in range(3)]
    text = "퀘스트\n\n마을로 돌아가기\n"
    for path in inputs:
        path.write_text(text, encoding="utf-8")
    report = private / "report.tsv"
    seen: list[Task] = []
    tasks.subscribe(seen.append)

    task = tasks.submit("text_stats", inputs, {"report": str(report)}, username="mina")
    done = tasks.wait(task.id, timeout=60)

    assert done.state == "succeeded" and done.error is None
    assert done.pid is not None and done.pid != os.getpid() and gone(done.pid)
    assert done.outputs == (report,) and done.summary == {
        "files": 3,
        "lines": 9,
        "characters": 3 * len(text),
    }
    assert [t.state for t in seen][:1] == ["queued"] and "running" in [t.state for t in seen]
    assert any(t.total == 3 for t in seen)  # progress came back from the worker
    [row] = ops.recent()
    assert row["id"] == task.id and row["status"] == "succeeded"
    assert (row["tool"], row["function"], row["username"]) == ("text_stats", "count", "mina")
    assert json.loads(row["input_files"]) == [p.name for p in inputs]
    assert json.loads(row["output_files"]) == ["report.tsv"]
    # Parameters are replicated with file names only, never this PC's folders.
    assert json.loads(row["parameters"]) == {"report": "report.tsv"}
    assert (row["rows_in"], row["rows_out"]) == (9, 3)
    assert 0 < row["duration"] < 60 and row["error"] is None
    assert tasks.results.output(task.id, 0) == report  # the full path stays on this PC
    assert report.read_text(encoding="utf-8").count("\n") == 4


def test_bad_input_fails_with_what_and_where_and_the_next_task_still_runs(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    latin1 = tmp_path / "legacy.txt"
    latin1.write_bytes("ok\ncafé\n".encode("latin-1"))
    report = tmp_path / "report.tsv"
    bad = tasks.submit("text_stats", [latin1], {"report": str(report)}, username="mina")
    failed = tasks.wait(bad.id, timeout=60)
    assert failed.state == "failed"
    assert failed.error == f"{latin1}: not UTF-8 text (byte 6)"
    assert not report.exists() and not list(tmp_path.glob(".report.tsv.*"))

    missing = tasks.wait(
        tasks.submit("text_stats", [tmp_path / "nope.txt"], username="mina").id, timeout=60
    )
    assert missing.state == "failed" and "nope.txt: file not found" in (missing.error or "")

    good = tmp_path / "good.txt"
    good.write_text("하나\n", encoding="utf-8")
    assert tasks.wait(tasks.submit("text_stats", [good], username="mina").id, 60).state == (
        "succeeded"
    )
    statuses = {r["id"]: (r["status"], r["error"]) for r in ops.recent()}
    assert statuses[bad.id] == ("failed", failed.error)
    with pytest.raises(UnknownTool, match="unknown tool 'nope'"):
        tasks.submit("nope", [good], username="mina")
    with pytest.raises(BadParams, match="report"):
        tasks.submit("text_stats", [good], {"report": ["not", "a", "path"]}, username="mina")
    assert len(ops.recent()) == 3  # refused submissions record nothing


@pytest.mark.slow
def test_cancel_stops_a_long_run_for_real(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    report = tmp_path / "out" / "report.tsv"
    task = long_run(tasks, tmp_path, report)
    assert task.state == "running" and task.total == 400
    assert task.rate is not None and task.eta is not None and task.eta > 5
    assert psutil.Process(task.pid).is_running()

    asked = time.monotonic()
    tasks.cancel(task.id)
    ended = tasks.wait(task.id, timeout=30)

    assert time.monotonic() - asked < 10
    assert ended.state == "cancelled" and ended.error == "cancelled by the user"
    assert gone(task.pid)
    [row] = ops.recent()
    assert row["status"] == "cancelled" and row["error"] == "cancelled by the user"
    assert row["rows_in"] is None and json.loads(row["output_files"]) == []
    assert not report.exists() and not list(report.parent.glob(".report.tsv.*"))


@pytest.mark.slow
def test_a_worker_killed_from_outside_fails_the_task_with_a_clear_message(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    task = long_run(tasks, tmp_path, tmp_path / "report.tsv")
    os.kill(task.pid, signal.SIGKILL)  # what the OOM killer does
    ended = tasks.wait(task.id, timeout=30)
    assert ended.state == "failed"
    assert (
        ended.error
        == "the worker process was killed by SIGKILL (out of memory?) before it finished"
    )
    assert ops.recent()[0]["error"] == ended.error
    good = tmp_path / "after.txt"
    good.write_text("x\n", encoding="utf-8")
    assert tasks.wait(tasks.submit("text_stats", [good], username="mina").id, 60).state == (
        "succeeded"
    )


@pytest.mark.slow
def test_tasks_beyond_the_worker_limit_wait_and_can_be_cancelled_before_they_start(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    first = long_run(tasks, tmp_path, tmp_path / "first.tsv")
    small = tmp_path / "small.txt"
    small.write_text("x\n", encoding="utf-8")
    second = tasks.submit("text_stats", [small], username="mina")
    time.sleep(0.5)
    assert tasks.get(second.id).state == "queued"  # one worker at most
    assert [t.id for t in tasks.active()] == [first.id, second.id]

    ended = tasks.cancel(second.id)
    assert ended is not None and ended.state == "cancelled" and ended.pid is None
    third = tasks.submit("text_stats", [small], username="mina")
    tasks.cancel(first.id)
    assert tasks.wait(third.id, timeout=60).state == "succeeded"  # the queue moves on
    statuses = {r["id"]: r["status"] for r in ops.recent()}
    assert statuses == {first.id: "cancelled", second.id: "cancelled", third.id: "succeeded"}


@pytest.mark.slow
def test_closing_the_app_interrupts_running_and_queued_tasks(
    ops: OperationLog, tmp_path: Path
) -> None:
    tasks = TaskManager(ops, tmp_path / "data", max_workers=1)
    running = long_run(tasks, tmp_path, tmp_path / "report.tsv")
    queued = tasks.submit("text_stats", [tmp_path / "big_ko.txt"], username="mina")
    closer = threading.Thread(target=tasks.shutdown)
    closer.start()
    closer.join(30)
    assert not closer.is_alive() and gone(running.pid)
    rows = {r["id"]: (r["status"], r["error"]) for r in ops.recent()}
    closed = ("interrupted", "the app closed while this run was in progress")
    assert rows == {running.id: closed, queued.id: closed}
    with pytest.raises(TasksClosed, match="closing"):
        tasks.submit("text_stats", [tmp_path / "big_ko.txt"], username="mina")


def test_only_fresh_temporaries_of_declared_outputs_are_removed(tmp_path: Path) -> None:
    report = tmp_path / "report.tsv"
    old = tmp_path / ".report.tsv.aaaa1111.tmp"
    old.write_text("from an earlier day")
    os.utime(old, (1_000_000, 1_000_000))
    since = time.time()
    fresh = tmp_path / ".report.tsv.bbbb2222.tmp"
    fresh.write_text("half a report")
    other = tmp_path / ".notes.txt.cccc3333.tmp"
    other.write_text("not ours")
    assert remove_stray_temporaries([report], since) == [fresh]
    assert old.exists() and other.exists() and not fresh.exists()


def test_rate_and_time_left_follow_the_last_seconds() -> None:
    meter = RateMeter(window=5.0)
    assert meter.add(0, 100, now=0.0) == (None, None)
    rate, eta = meter.add(10, 100, now=1.0)
    assert rate == pytest.approx(10.0) and eta == pytest.approx(9.0)
    for t in range(2, 12):
        meter.add(10 + (t - 1) * 2, 100, now=float(t))  # slowed down to 2/s
    rate, eta = meter.add(32, 100, now=12.0)
    assert rate == pytest.approx(2.0) and eta == pytest.approx(34.0)
    assert meter.add(5, None, now=13.0) == (None, None)  # a new phase starts over
    assert describe(12, 40, "quests_ko.txt", 3.44, 8.2) == "12/40 · quests_ko.txt · 3.4/s · ETA 8 s"


@pytest.mark.slow
def test_cancel_kills_a_worker_that_does_not_answer_sigterm(
    tasks: TaskManager, ops: OperationLog, tmp_path: Path
) -> None:
    task = long_run(tasks, tmp_path, tmp_path / "report.tsv")
    os.kill(task.pid, signal.SIGSTOP)  # as deaf as a worker deep inside one library call
    asked = time.monotonic()
    ended = tasks.wait(tasks.cancel(task.id).id, timeout=30)
    assert ended.state == "cancelled" and gone(task.pid)
    assert 1.5 < time.monotonic() - asked < 10  # SIGTERM's grace, then SIGKILL
    assert ops.recent()[0]["status"] == "cancelled"
