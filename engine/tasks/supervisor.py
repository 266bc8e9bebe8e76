"""The engine's side of one worker process: start it, relay its progress, stop it on a cancel.

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


def _pump(
    reader: Connection,
    process: BaseProcess,
    on_progress: ProgressSink,
    cancelled: threading.Event,
) -> tuple[Any, ...] | None:
    """Relay progress until the final message; None if the worker died or a cancel came first."""
    while True:
        wait = 0.0 if cancelled.is_set() else POLL_SECONDS
        try:
            ready = reader.poll(wait)
            message = reader.recv() if ready else None
        except (EOFError, OSError):
            return None
        if message is None:
            if cancelled.is_set() or not process.is_alive():
                return None
            continue
        if message[0] != "progress":
            return message
        on_progress(*message[1])


def run(
    order: worker.WorkOrder,
    *,
    name: str,
    on_start: Callable[[int], None],
    on_progress: ProgressSink,
    cancelled: threading.Event,
) -> Outcome:
    """Run ``order`` in a new worker process and wait for its end, a crash, or a cancel."""
    ctx = multiprocessing.get_context("spawn")
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(target=worker.main, args=(writer, order), name=name, daemon=True)
    try:
        with _signals_blocked():
            process.start()
        started = time.monotonic()
        writer.close()  # the worker holds the only writer now: EOF means it is gone
        on_start(process.pid or 0)
        message = _pump(reader, process, on_progress, cancelled)
        if message is None and cancelled.is_set():
            stop(process)
            return Outcome(RunState.CANCELLED, time.monotonic() - started, error="cancelled")
        duration = time.monotonic() - started
        process.join(TERMINATE_GRACE)
        stop(process)  # a worker that lingers after its last word is not kept
        return _outcome(message, duration, process.exitcode)
    finally:
        reader.close()
        writer.close()
        if process.exitcode is None and process.is_alive():
            stop(process)
        with contextlib.suppress(ValueError):
            process.close()


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
