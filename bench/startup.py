"""`locanext bench tools`, start-up part: how long a tiny tool run waits for its worker.

Two figures, each next to the same thing without spare workers, measured alternately in the same
run so that the machine's load falls on both:

* a tiny job from the command line (`locanext tool text_stats` on a two-line file), wall time of
  the whole process, with the worker started at the CLI's start (``LOCANEXT_APP_SPARE_WORKERS=1``,
  the default) and with the worker started when the run is submitted (``0``); two bare Python
  starts are the floor of any design with a separate worker process;
* submit to running (the tool function has begun in the worker) in the engine's task manager,
  with a spare worker waiting, and with a worker spawned for the run.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.db import Database
from engine.operations import OperationLog, RunState
from engine.tasks import Task, TaskManager
from engine.tools.registry import registry
from shell.processes import command

TINY = "하나\n둘\n"
# Wait for a spare to be ready at most this long before a run (it imports the tools).
READY_TIMEOUT = 60.0
# The start a warm worker should give a run (submit to running, p95).
TARGET_P95 = 0.150


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Figure:
    name: str
    seconds: list[float]
    note: str = ""
    unit: str = "s"  # or "ms"

    def line(self) -> str:
        scale, fmt = (1000.0, "{:7.0f} ms") if self.unit == "ms" else (1.0, "{:7.2f} s ")
        p50 = fmt.format(statistics.median(self.seconds) * scale)
        high = fmt.format(p95(self.seconds) * scale)
        text = f"{self.name:<52} p50 {p50}  p95 {high}"
        return text + (f"   {self.note}" if self.note else "")


@dataclass
class Report:
    runs: int
    load: float
    figures: list[Figure] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"Tool start-up: text_stats on a two-line file, {self.runs} run(s) of each, "
            f"alternately (load average {self.load:.1f} at the start).",
            *(f.line() for f in self.figures),
        ]


def _timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _cli_job(tiny: Path, data_dir: Path, spares: int) -> Callable[[], None]:
    env = {**os.environ, "LOCANEXT_APP_SPARE_WORKERS": str(spares)}
    args = command("tool", "text_stats", str(tiny), "--data-dir", str(data_dir), "--rows", "0")

    def run() -> None:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"locanext tool failed: {done.stderr.strip()}")

    return run


def _two_pythons() -> None:
    for _ in range(2):
        subprocess.run([sys.executable, "-c", "pass"], check=True)


class _Starts:
    """When each task was first seen running."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, task: Task) -> None:
        if task.state is RunState.RUNNING:
            with self._lock:
                self.at.setdefault(task.id, time.perf_counter())


def _wait_ready(manager: TaskManager) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while not any(spare.ready() for spare in manager.spares.waiting()):
        if time.monotonic() > deadline:
            raise RuntimeError("no spare worker got ready")
        time.sleep(0.01)


def _submit_to_running(manager: TaskManager, tiny: Path, spares: bool) -> float:
    starts = _Starts()
    unsubscribe = manager.subscribe(starts)
    try:
        if spares:
            _wait_ready(manager)
        begun = time.perf_counter()
        task = manager.submit("text_stats", [tiny], username="bench")
        done = manager.wait(task.id, timeout=120)
    finally:
        unsubscribe()
    if done.state is not RunState.SUCCEEDED or task.id not in starts.at:
        raise RuntimeError(f"the bench run ended {done.state}: {done.error}")
    return starts.at[task.id] - begun


def run(runs: int = 20) -> Report:
    report = Report(runs, os.getloadavg()[0])
    with tempfile.TemporaryDirectory(prefix="locanext-bench-start-") as tmp:
        folder = Path(tmp)
        tiny = folder / "tiny.txt"
        tiny.write_text(TINY, encoding="utf-8")
        with_spare, on_demand, floor = [], [], []
        for _ in range(runs):
            with_spare.append(_timed(_cli_job(tiny, folder / "cli", 1)))
            on_demand.append(_timed(_cli_job(tiny, folder / "cli", 0)))
            floor.append(_timed(_two_pythons))
        ratio = statistics.median(on_demand) / statistics.median(with_spare)
        report.figures += [
            Figure("tiny CLI job, worker started with the CLI", with_spare, f"x{ratio:.2f}"),
            Figure("tiny CLI job, worker started at submit (no spare)", on_demand),
            Figure("two bare Python starts (the floor)", floor),
        ]
        # As the app does 2 s after its start: the tools are imported before the first run.
        registry()
        db = Database(folder / "engine.db")
        try:
            ops = OperationLog(db)
            warm = TaskManager(ops, folder / "data", max_workers=1, spare_workers=1)
            cold = TaskManager(ops, folder / "data", max_workers=1)
            warm.start_spares()
            fast, slow = [], []
            try:
                for _ in range(runs):
                    fast.append(_submit_to_running(warm, tiny, spares=True))
                    slow.append(_submit_to_running(cold, tiny, spares=False))
            finally:
                warm.shutdown()
                cold.shutdown()
        finally:
            db.close()
        met = "met" if p95(fast) < TARGET_P95 else "NOT met"
        ratio = statistics.median(slow) / statistics.median(fast)
        report.figures += [
            Figure(
                "submit -> worker running, spare worker waiting",
                fast,
                f"x{ratio:.0f}; target p95 < {TARGET_P95 * 1000:.0f} ms: {met}",
                unit="ms",
            ),
            Figure("submit -> worker running, worker spawned for it", slow, unit="ms"),
        ]
    return report
