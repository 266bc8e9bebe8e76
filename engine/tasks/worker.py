"""The worker process's side of a task: run one tool function, report progress, send the result.

A worker starts ahead of its task (:func:`serve`): it imports the tools, says ``("ready",)`` and
waits for one :class:`WorkOrder` on its pipe to the engine, so a spare worker started before the
run is asked for saves the run Python's start and those imports. It runs exactly one task, then
exits; the next task gets a fresh process.

The worker never opens engine.db; everything it has to say goes over the same pipe:
``("started",)`` when the tool function begins, ``("progress", (done, total, step))`` at most ten
times a second, then exactly one final message, ``("succeeded", ToolResult)``,
``("failed", message)`` or ``("crashed", message, traceback)``.
It ignores Ctrl-C (the engine decides what a Ctrl-C means) and leaves through ``SystemExit`` on
SIGTERM, so temporary outputs written with ``atomic_output`` are removed on a cancel.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.errors import ToolFailed
from engine.tools.base import ToolCall

SEND_INTERVAL = 0.1
# Seconds an orphaned worker gets to clean up after SIGTERM before it exits hard.
ORPHAN_GRACE = 5.0


@dataclass(frozen=True)
class WorkOrder:
    tool: str
    function: str
    inputs: tuple[Path, ...]
    # JSON-ready (it crosses the process boundary); the worker builds the model from it once.
    params: dict[str, Any]
    data_dir: Path
    # The engine's pid: a worker whose engine died stops instead of running on unseen.
    parent_pid: int = field(default_factory=os.getpid)


def _leave_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _install_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _leave_on_sigterm)
    if hasattr(signal, "pthread_sigmask"):
        # The engine starts workers with these blocked so none arrives before the handlers exist.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


class _Sender(threading.Thread):
    """Ships the latest progress every SEND_INTERVAL and watches for the engine's death.

    ``progress()`` only stores a tuple, so a tool may call it for every row at no cost.
    """

    def __init__(self, conn: Connection, parent_pid: int) -> None:
        super().__init__(name="task-progress", daemon=True)
        self._conn = conn
        self._parent_pid = parent_pid
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._latest: tuple[int, int | None, str] | None = None
        self._sent: tuple[int, int | None, str] | None = None

    def progress(self, done: int, total: int | None, step: str = "") -> None:
        self._latest = (int(done), None if total is None else int(total), str(step))

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self._conn.send(message)

    def flush(self) -> None:
        latest = self._latest
        if latest is not None and latest != self._sent:
            self.send(("progress", latest))
            self._sent = latest

    def run(self) -> None:
        while not self._stopped.wait(SEND_INTERVAL):
            if os.getppid() != self._parent_pid:
                self._orphaned()
                return
            try:
                self.flush()
            except OSError:  # the engine closed its end: it is gone or gave up on us
                self._orphaned()
                return

    def stop(self) -> None:
        self._stopped.set()
        if self.is_alive():
            self.join()

    def _orphaned(self) -> None:
        # SIGTERM reaches the main thread as SystemExit, which removes temporary outputs.
        os.kill(os.getpid(), signal.SIGTERM)
        if not self._stopped.wait(ORPHAN_GRACE):
            os._exit(3)


def _run(order: WorkOrder, progress: _Sender) -> tuple[Any, ...]:
    try:
        # Here, not at the top: the engine imports this module for WorkOrder and must not load
        # every tool (numpy, openpyxl...) at start.
        from engine.tools.registry import resolve, validate_params

        _, fn = resolve(order.tool, order.function)
        params = validate_params(fn, order.params)
        call = ToolCall(list(order.inputs), params, order.data_dir, progress.progress)
        progress.send(("started",))
        return ("succeeded", fn.run(call))
    except ToolFailed as exc:
        return ("failed", str(exc))
    except Exception as exc:
        return ("crashed", f"{type(exc).__name__}: {exc}", traceback.format_exc())


def serve(conn: Connection) -> None:
    """The worker process's entry point (multiprocessing target): get ready, then run the one
    order the engine sends; leave quietly if the engine lets the worker go (closes the pipe)."""
    _install_signals()
    from engine.tools.registry import registry

    registry()  # the tools' imports (numpy, openpyxl...), done before there is work
    try:
        conn.send(("ready",))
        order = conn.recv()
    except (EOFError, OSError):
        return
    run(conn, order)
    # All is said and every output closed: Python's teardown of the tools' modules (numpy,
    # openpyxl...) would only hold the run's end back, by a few hundred milliseconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run(conn: Connection, order: WorkOrder) -> None:
    """Run ``order`` and send its progress and its end over ``conn``."""
    sender = _Sender(conn, order.parent_pid)
    sender.start()
    try:
        message = _run(order, sender)
    except BaseException:
        sender.stop()  # cancelled (SystemExit): nothing more to say
        raise
    sender.stop()
    sender.flush()
    try:
        sender.send(message)
    except OSError:
        pass  # the engine is gone; nobody is left to tell
    except Exception as exc:  # a result that cannot be pickled
        sender.send(("crashed", f"the result could not be sent back: {exc}", ""))
    conn.close()
