"""The task manager: every tool run is a task in a worker process, recorded as one operation.

``submit`` checks the tool and its parameters, writes the operation's start row and queues the
task; at most ``max_workers`` run at once, each watched by a thread of its own (see
:mod:`engine.tasks.supervisor`). When a task ends, its row is finished (succeeded, failed,
cancelled, or interrupted when the app closes under it) before the final state is published, so
whoever waits for a task can read its row at once. Subscribers get every new snapshot.

With ``spare_workers`` and :meth:`TaskManager.start_spares`, that many workers are started ahead
and wait with the tools imported (:mod:`engine.tasks.spares`); a task runs in one of them when one
waits, and a replacement is started when the task ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path, PurePath
from typing import Any, get_args

from engine.clock import utc_now
from engine.errors import EngineError
from engine.operations import OperationLog, RunState
from engine.tasks import provided, supervisor
from engine.tasks.model import Task
from engine.tasks.progress import RateMeter
from engine.tasks.results import ResultStore
from engine.tasks.spares import Spares
from engine.tasks.worker import WorkOrder
from engine.tools.base import Function

log = logging.getLogger(__name__)

CANCELLED = "cancelled by the user"
CLOSED = "the app closed while this run was in progress"
# Finished tasks kept in memory for this session's views (the history is in engine.db).
KEEP_FINISHED = 200

Subscriber = Callable[[Task], None]


class TasksClosed(EngineError):
    """The task manager is shutting down and takes no new tasks."""

    status = 503
    code = "tasks_closed"


class UnknownTask(EngineError):
    """No task (running, or recorded in engine.db) has this id."""

    status = 404
    code = "unknown_task"


def _mentions_path(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, PurePath):
        return True
    return any(_mentions_path(arg) for arg in get_args(annotation))


def _path_params(fn: Function[Any], params: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """(name, values) of each given parameter typed as a path or a list of paths."""
    for name, info in fn.params.model_fields.items():
        value = params.get(name)
        if value and _mentions_path(info.annotation):
            yield name, [str(v) for v in (value if isinstance(value, list) else [value])]


def declared_paths(fn: Function[Any], params: dict[str, Any]) -> list[Path]:
    """Paths among the parameters (such as an output file): where a killed worker may have left
    a temporary file."""
    return [Path(v).absolute() for _, values in _path_params(fn, params) for v in values]


def recorded_params(fn: Function[Any], params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the replicated row keeps them: paths reduced to file names."""
    recorded = dict(params)
    for name, values in _path_params(fn, params):
        names = [PurePath(v).name for v in values]
        recorded[name] = names if isinstance(params[name], list) else names[0]
    return recorded


class TaskManager:
    def __init__(
        self,
        operations: OperationLog,
        data_dir: Path,
        *,
        max_workers: int = 2,
        spare_workers: int = 0,
        results: ResultStore | None = None,
        provide: provided.Provider = provided.nothing,
    ) -> None:
        self.data_dir = data_dir
        self._provide = provide
        self.results = results or ResultStore(data_dir)
        self._ops = operations
        self._max_workers = max(1, max_workers)
        self.spares = Spares(spare_workers)
        self._keep_spares = False
        self._changed = threading.Condition()
        self._tasks: dict[str, Task] = {}
        self._orders: dict[str, tuple[WorkOrder, list[Path]]] = {}
        self._provided: dict[str, tuple[Path, ...]] = {}
        self._queue: deque[str] = deque()
        self._threads: dict[str, threading.Thread] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._meters: dict[str, RateMeter] = {}
        self._subscribers: list[Subscriber] = []
        self._closed = False

    @property
    def operations(self) -> OperationLog:
        return self._ops

    def start_spares(self, *, replace: bool = True) -> None:
        """Start the spare workers now; with ``replace``, start a new one after each run that
        used one (a command that runs one task and exits passes False)."""
        with self._changed:
            if self._closed:
                return
            self._keep_spares = replace
        self.spares.fill()

    # --- asking -------------------------------------------------------------------------------

    def submit(
        self,
        tool: str,
        inputs: Iterable[str | Path],
        params: dict[str, Any] | None = None,
        *,
        username: str,
        function: str | None = None,
    ) -> Task:
        """Queue a run; raises UnknownTool or BadParams before anything is recorded."""
        # The tools import numpy, openpyxl and more: loaded at the first run, not at start.
        from engine.tools.registry import resolve, validate_params

        t, fn = resolve(tool, function)
        # JSON-ready: for the operation row, the task views and the pipe to the worker.
        checked = validate_params(fn, params or {}).model_dump(mode="json")
        paths = tuple(Path(p).absolute() for p in inputs)
        if self._closed:
            raise TasksClosed("the app is closing; no new tasks")
        given = self._provide(t.name, fn.name, checked)  # e.g. the team glossary, as a file
        checked = given.params
        op_id = self._ops.start(
            tool=t.name,
            function=fn.name,
            username=username,
            parameters=recorded_params(fn, checked),
            input_files=paths,
        )
        task = Task(
            id=op_id,
            tool=t.name,
            function=fn.name,
            title=f"{t.title} · {fn.title}",
            inputs=paths,
            params=checked,
            username=username,
            submitted=utc_now(),
        )
        order = WorkOrder(t.name, fn.name, paths, checked, self.data_dir)
        with self._changed:
            self._tasks[op_id] = task
            self._orders[op_id] = (order, declared_paths(fn, checked))
            self._provided[op_id] = given.files
            self._cancels[op_id] = threading.Event()
            self._queue.append(op_id)
            self._start_queued()
        log.info("task %s queued (%s.%s, %d inputs)", op_id, t.name, fn.name, len(paths))
        self._publish(task)
        return task

    def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    def active(self) -> list[Task]:
        """Queued and running tasks, oldest first."""
        with self._changed:
            return [t for t in self._tasks.values() if not t.finished]

    def session(self) -> list[Task]:
        """Every task of this session still in memory, oldest first."""
        with self._changed:
            return list(self._tasks.values())

    def wait(self, task_id: str, timeout: float | None = None) -> Task:
        """Block until the task has ended (its row is written by then)."""
        with self._changed:
            if task_id not in self._tasks:
                raise UnknownTask(f"no task {task_id} in this session")
            if not self._changed.wait_for(lambda: self._tasks[task_id].finished, timeout):
                raise TimeoutError(f"task {task_id} still {self._tasks[task_id].state}")
            return self._tasks[task_id]

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(task)`` on every change (from the manager's threads); returns the
        function that ends the subscription."""
        with self._changed:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._changed:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def cancel(self, task_id: str) -> Task:
        """Stop a task: a queued one never starts, a running one's worker is terminated; a
        finished one is returned as it is. Raises UnknownTask for an id this session lacks."""
        with self._changed:
            task = self._tasks.get(task_id)
            if task is None:
                raise UnknownTask(f"no running task {task_id}")
            if task.finished:
                return task
            task = self._set(task_id, cancel_requested=True)
            queued = task_id in self._queue
            if queued:
                self._queue.remove(task_id)
            self._cancels[task_id].set()
        self._publish(task)
        if queued:
            self._finish(task_id, supervisor.Outcome(RunState.CANCELLED, 0.0))
        return self._tasks[task_id]

    def shutdown(self, timeout: float = 15.0) -> None:
        """Stop every task (their rows end ``interrupted``) and take no new ones."""
        self.spares.close()
        with self._changed:
            self._closed = True
            queued = list(self._queue)
            self._queue.clear()
            threads = list(self._threads.values())
            for event in self._cancels.values():
                event.set()
        for task_id in queued:
            self._finish(task_id, supervisor.Outcome(RunState.CANCELLED, 0.0))
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    # --- running ------------------------------------------------------------------------------

    def _set(self, task_id: str, **changes: Any) -> Task:
        task = replace(self._tasks[task_id], **changes)
        self._tasks[task_id] = task
        return task

    def _publish(self, task: Task) -> None:
        with self._changed:
            self._changed.notify_all()
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(task)
            except Exception:
                log.exception("a task subscriber failed")

    def _start_queued(self) -> None:
        """Start queued tasks while workers are free (called with the lock held)."""
        while self._queue and len(self._threads) < self._max_workers and not self._closed:
            task_id = self._queue.popleft()
            thread = threading.Thread(
                target=self._supervise, args=(task_id,), name=f"task-{task_id[:8]}", daemon=True
            )
            self._threads[task_id] = thread
            thread.start()

    def _assigned(self, task_id: str, pid: int) -> None:
        with self._changed:
            task = self._set(task_id, pid=pid)
        self._publish(task)

    def _started(self, task_id: str, pid: int) -> None:
        with self._changed:
            task = self._set(task_id, state=RunState.RUNNING, pid=pid, started_at=time.monotonic())
        log.info("task %s running in worker %d", task_id, pid)
        self._publish(task)

    def _progress(self, task_id: str, done: int, total: int | None, step: str) -> None:
        with self._changed:
            rate, eta = self._meters.setdefault(task_id, RateMeter()).add(done, total)
            task = self._set(task_id, done=done, total=total, step=step, rate=rate, eta=eta)
        self._publish(task)

    def _supervise(self, task_id: str) -> None:
        order, declared = self._orders[task_id]
        launched = time.time()
        try:
            outcome = supervisor.run(
                order,
                name=f"locanext-task-{task_id[:8]}",
                on_worker=lambda pid: self._assigned(task_id, pid),
                on_start=lambda pid: self._started(task_id, pid),
                on_progress=lambda d, t, s: self._progress(task_id, d, t, s),
                cancelled=self._cancels[task_id],
                spare=self.spares.take(),
            )
        except Exception as exc:
            log.exception("task %s: could not run a worker process", task_id)
            outcome = supervisor.Outcome(
                RunState.FAILED, 0.0, error=f"could not start a worker: {exc}"
            )
        if outcome.status is not RunState.SUCCEEDED:
            for tmp in supervisor.remove_stray_temporaries(declared, launched):
                log.info("task %s: removed the unfinished output %s", task_id, tmp.name)
        self._finish(task_id, outcome)
        self._replace_spares()

    def _replace_spares(self) -> None:
        with self._changed:
            keep = self._keep_spares and not self._closed
        if keep:
            try:
                self.spares.fill()
            except Exception:  # the next run starts its own worker
                log.exception("could not start a spare worker")

    def _finish(self, task_id: str, outcome: supervisor.Outcome) -> None:
        status, error = outcome.status, outcome.error
        if status is RunState.CANCELLED:
            # Stopped by a user's cancel, or by the app closing (shutdown cancels without asking).
            by_user = self._tasks[task_id].cancel_requested
            status, error = (
                (RunState.CANCELLED, CANCELLED) if by_user else (RunState.INTERRUPTED, CLOSED)
            )
        if outcome.traceback:
            log.error("task %s: the tool broke:\n%s", task_id, outcome.traceback)
        result = outcome.result
        outputs = tuple(Path(p).absolute() for p in result.output_files) if result else ()
        warnings = tuple(result.warnings) if result else ()
        try:
            self._ops.finish(
                task_id,
                status=status,
                rows_in=result.rows_in if result else None,
                rows_out=result.rows_out if result else None,
                output_files=outputs,
                error=error,
                duration=outcome.duration,
                warnings=warnings,
                traceback=outcome.traceback,
            )
            task = self._tasks[task_id]
            self.results.record(
                task_id,
                list(outputs),
                list(warnings),
                result.summary if result else {},
                inputs=list(task.inputs),
                params=task.params,
            )
        except Exception:
            log.exception("task %s: could not record its end", task_id)
        with self._changed:
            task = self._set(
                task_id,
                state=status,
                error=error,
                duration=outcome.duration,
                rows_in=result.rows_in if result else None,
                rows_out=result.rows_out if result else None,
                outputs=outputs,
                warnings=warnings,
                summary=dict(result.summary) if result else {},
                eta=None,
            )
            self._threads.pop(task_id, None)
            self._orders.pop(task_id, None)
            provided.discard(self._provided.pop(task_id, ()))
            self._cancels.pop(task_id, None)
            self._meters.pop(task_id, None)
            self._forget_old()
            self._start_queued()
        log.info("task %s %s after %.1f s", task_id, status, outcome.duration)
        self._publish(task)

    def _forget_old(self) -> None:
        finished = [k for k, t in self._tasks.items() if t.finished]
        for task_id in finished[: max(len(finished) - KEEP_FINISHED, 0)]:
            del self._tasks[task_id]
