"""The engine's side of one worker process: start it, hand it its task, relay its progress, stop
it on a cancel.

A worker is started before its task is known (:func:`start_worker`) and handed the order over its
pipe: :func:`run` takes a spare one (see :mod:`engine.tasks.spares`) or starts one on the spot.

Workers are started with the "spawn" method: the engine runs threads (uvicorn, the sync loop), and
a forked copy of a threaded process can inherit locks held by threads that do not exist in it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import psutil

from engine.operations import RunState
from engine.tasks import worker
from engine.tools.base import ToolResult

POLL_SECONDS = 0.1
# After SIGTERM a worker gets this long to remove its temporary files before SIGKILL.
TERMINATE_GRACE = 2.0

ProgressSink = Callable[[int, int | None, str], None]


@dataclass(frozen=True)
class Outcome:
    status: RunState  # succeeded, failed, cancelled
    duration: float
    result: ToolResult | None = None
    error: str | None = None
    # Set when the tool itself broke (not the user's input): worth a traceback in the log.
    traceback: str | None = None


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """A spawned child inherits the starting thread's signal mask: it starts with Ctrl-C and
    SIGTERM held until its handlers are installed (see ``worker._install_signals``)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _death_message(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the worker process was killed by {name}{hint} before it finished"
    return f"the worker process stopped (exit code {exitcode}) before it finished"


def stop(process: BaseProcess, grace: float = TERMINATE_GRACE) -> None:
    """SIGTERM, then SIGKILL if the worker is stuck in a long library call."""
    if process.is_alive():
        process.terminate()
        process.join(grace)
    if process.is_alive():
        process.kill()
        process.join(5.0)


class Worker:
    """A started worker process and the engine's end of its pipe (both directions)."""

    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.pid = process.pid or 0  # kept after close(), for the logs and the task's row
        self._ready = False
        self._closed = False

    def alive(self) -> bool:
        if self._closed or not self.process.is_alive():
            return False
        # is_alive() alone can miss a spare that died while it waited: seen in the test suite, a
        # SIGKILLed spare stayed a zombie while is_alive() said True and its sentinel and pipe
        # showed no end. Ask the OS what the process is.
        try:
            return psutil.Process(self.pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    def ready(self) -> bool:
        """Whether it has imported the tools and waits for its order (does not block). Only for
        a worker not handed an order yet: it reads from the pipe."""
        if not self._ready:
            with contextlib.suppress(EOFError, OSError):
                while self.conn.poll(0):
                    if self.conn.recv()[0] == "ready":
                        self._ready = True
                        break
        return self._ready

    def close(self) -> None:
        """Stop the process if it still runs, and let go of the pipe."""
        if self._closed:
            return
        self._closed = True
        self.conn.close()
        stop(self.process)
        with contextlib.suppress(ValueError):
            self.process.close()


def start_worker(name: str) -> Worker:
    """A new worker process that imports the tools and then waits for its order."""
    ctx = multiprocessing.get_context("spawn")
    mine, theirs = ctx.Pipe(duplex=True)
    process = ctx.Process(target=worker.serve, args=(theirs,), name=name, daemon=True)
    try:
        with _signals_blocked():
            process.start()
    except BaseException:
        mine.close()
        raise
    finally:
        theirs.close()  # the worker holds the only other end now: EOF means it is gone
    return Worker(process, mine)


def _pump(
    worker_: Worker,
    on_start: Callable[[int], None],
    on_progress: ProgressSink,
    cancelled: threading.Event,
) -> tuple[Any, ...] | None:
    """Relay progress until the final message; None if the worker died or a cancel came first."""
    while True:
        wait = 0.0 if cancelled.is_set() else POLL_SECONDS
        try:
            ready = worker_.conn.poll(wait)
            message = worker_.conn.recv() if ready else None
        except (EOFError, OSError):
            return None
        if message is None:
            if cancelled.is_set() or not worker_.alive():
                return None
            continue
        if message[0] == "started":
            on_start(worker_.pid)
        elif message[0] == "progress":
            on_progress(*message[1])
        elif message[0] != "ready":
            return message


def _hand(order: worker.WorkOrder, spare: Worker | None, name: str) -> Worker:
    """The worker now holding ``order``: the spare if it is still there, else a new one."""
    if spare is not None:
        try:
            spare.conn.send(order)
            return spare
        except OSError:  # the spare died while it waited
            spare.close()
    fresh = start_worker(name)
    try:
        fresh.conn.send(order)
    except BaseException:
        fresh.close()
        raise
    return fresh


def run(
    order: worker.WorkOrder,
    *,
    name: str,
    on_worker: Callable[[int], None],
    on_start: Callable[[int], None],
    on_progress: ProgressSink,
    cancelled: threading.Event,
    spare: Worker | None = None,
) -> Outcome:
    """Run ``order`` in ``spare`` (or a new worker process) and wait for its end, a crash, or a
    cancel; ``on_worker(pid)`` is called once the worker holds the order, ``on_start(pid)`` when
    the tool function begins in it."""
    held = _hand(order, spare, name)
    started = time.monotonic()
    try:
        on_worker(held.pid)
        message = _pump(held, on_start, on_progress, cancelled)
        if message is None and cancelled.is_set():
            stop(held.process)
            return Outcome(RunState.CANCELLED, time.monotonic() - started, error="cancelled")
        duration = time.monotonic() - started
        held.process.join(TERMINATE_GRACE)
        stop(held.process)  # a worker that lingers after its last word is not kept
        return _outcome(message, duration, held.process.exitcode)
    finally:
        held.close()


def _outcome(message: tuple[Any, ...] | None, duration: float, exitcode: int | None) -> Outcome:
    if message is None:
        return Outcome(RunState.FAILED, duration, error=_death_message(exitcode))
    kind = message[0]
    if kind == "succeeded":
        return Outcome(RunState.SUCCEEDED, duration, result=message[1])
    if kind == "failed":
        return Outcome(RunState.FAILED, duration, error=message[1])
    return Outcome(
        RunState.FAILED,
        duration,
        error=f"internal error: {message[1]}",
        traceback=message[2] or None,
    )


def remove_stray_temporaries(declared: list[Path], since: float) -> list[Path]:
    """Remove ``.<name>.*.tmp`` files beside (or inside) the declared outputs, made since
    ``since`` (epoch seconds): what ``atomic_output`` leaves when a worker is killed mid-write."""
    removed = []
    for path in declared:
        candidates = list(path.parent.glob(f".{path.name}.*.tmp"))
        if path.is_dir():
            candidates += path.glob(".*.tmp")
        for tmp in candidates:
            with contextlib.suppress(OSError):
                if tmp.is_file() and tmp.stat().st_mtime >= since - 1.0:
                    tmp.unlink()
                    removed.append(tmp)
    return removed
