"""Following a task in a terminal (``locanext tool``): a progress bar on stderr, Ctrl-C cancels.

On a terminal a rich progress bar shows done/total, the current step, rate and time left; when
stderr is a file or a pipe, one plain line at most every second says the same.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from engine.operations import RunState
from engine.tasks.manager import TaskManager, UnknownTask
from engine.tasks.model import Task
from engine.tasks.progress import describe, format_seconds, waiting

PLAIN_INTERVAL = 1.0


def _detail(task: Task) -> str:
    if task.state is RunState.QUEUED:
        return waiting(task.pid is not None)
    if task.finished:
        return task.state
    return describe(task.done, task.total, task.step, task.rate, task.eta)


class _View:
    """Plain lines for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last = 0.0
        self._shown = ""

    def __enter__(self) -> _View:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def show(self, task: Task) -> None:
        now = time.monotonic()
        line = f"{task.tool}.{task.function}: {_detail(task)}"
        if (
            task.state is RunState.RUNNING
            and task.total is not None
            and now - self._last >= PLAIN_INTERVAL
        ):
            if line != self._shown:
                self._write(line)
            self._last = now

    def note(self, text: str) -> None:
        self._write(text)

    def _write(self, line: str) -> None:
        self._shown = line
        self._stream.write(line + "\n")
        self._stream.flush()


class _Bar(_View):
    """A rich progress bar, redrawn in place, for a terminal."""

    def __init__(self, console: Console, title: str) -> None:
        super().__init__(console.file)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            console=console,
        )
        self._bar = self._progress.add_task(title, total=None, detail="starting")

    def __enter__(self) -> _Bar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def show(self, task: Task) -> None:
        # Tools report the item they start, so a finished run's last report is one short.
        done = task.total if task.state is RunState.SUCCEEDED and task.total else task.done
        self._progress.update(self._bar, completed=done, total=task.total, detail=_detail(task))

    def note(self, text: str) -> None:
        self._progress.console.print(text, highlight=False)


def follow(manager: TaskManager, task_id: str, stream: TextIO) -> Task:
    """Show the task's progress on ``stream`` until it ends; the first Ctrl-C cancels it (the
    task ends ``cancelled``), later ones are ignored while the worker is being stopped.

    Call from the main thread (it handles SIGINT while it runs)."""
    console = Console(file=stream)
    first = manager.get(task_id)
    if first is None:
        raise UnknownTask(f"no task {task_id} in this session")
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: interrupted.set())
    cancelling = False
    try:
        with _Bar(console, first.title) if console.is_terminal else _View(stream) as view:
            while True:
                if interrupted.is_set() and not cancelling:
                    cancelling = True
                    view.note("cancelling (the worker process is being stopped)...")
                    manager.cancel(task_id)
                try:
                    task = manager.wait(task_id, timeout=0.1)
                except TimeoutError:
                    view.show(manager.get(task_id) or first)
                    continue
                view.show(task)
                view.note(
                    f"{task.tool}.{task.function} {task.state} in {format_seconds(task.elapsed)}"
                )
                return task
    finally:
        signal.signal(signal.SIGINT, previous)
