"""The operations log: one replicated row per tool run.

A run writes its row twice: once when it starts (status ``running``, see :class:`RunState`) and
once when it ends, each in its own transaction, so a crash in between leaves a visible, honest
``running`` row. Only file names are recorded, never paths' contents.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from engine import telemetry
from engine.clock import utc_now
from engine.db import Connection, Database
from engine.telemetry import Level

# Of a run's warnings, the ones its event keeps (the count is its value).
WARNINGS_KEPT = 20
# Of a failed run's message, what its row keeps: far below the largest value engine.db lets a
# replicated row hold, so recording how a run ended is never refused.
ERROR_CHARS = 10_000


class RunState(StrEnum):
    """Where a run is: a task's ``state`` and its operation row's ``status`` (the row, which is
    replicated, holds the value's text)."""

    QUEUED = "queued"  # a task waiting for a worker; its row already says running
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"  # by the user
    INTERRUPTED = "interrupted"  # by the app closing, or a crash

    @property
    def final(self) -> bool:
        return self not in (RunState.QUEUED, RunState.RUNNING)


# The statuses an operation row can have.
RECORDED = tuple(s for s in RunState if s is not RunState.QUEUED)


# A run's file names are kept up to this many, then "(and N more)": a run over tens of thousands
# of files would otherwise pass the 1 MiB a synced value may hold, and could not start.
MAX_NAMES = 1000


def _names(paths: Sequence[str | PurePath]) -> str:
    names = [PurePath(p).name for p in paths[:MAX_NAMES]]
    if len(paths) > MAX_NAMES:
        names.append(f"(and {len(paths) - MAX_NAMES:,} more)")
    return json.dumps(names, ensure_ascii=False)


_COLUMNS = (
    "id, username, tool, function, status, started, finished, duration, rows_in, rows_out,"
    " input_files, output_files, parameters, error"
)


_SEARCHED = ("tool", "function", "username", "input_files", "output_files", "parameters", "error")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _rows(cursor: Any) -> list[dict[str, Any]]:
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _seconds_between(start: str, end: str) -> float:
    parse = datetime.fromisoformat
    return round((parse(end) - parse(start)).total_seconds(), 3)


class OperationLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def start(
        self,
        *,
        tool: str,
        function: str,
        username: str,
        parameters: dict[str, Any] | None = None,
        input_files: Sequence[str | PurePath] = (),
    ) -> str:
        op_id = str(uuid.uuid4())
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO operations (id, install_id, username, tool, function, status,"
                " started, input_files, parameters) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    op_id,
                    self._db.install_id,
                    username,
                    tool,
                    function,
                    RunState.RUNNING,
                    utc_now(),
                    _names(input_files),
                    json.dumps(parameters or {}, ensure_ascii=False, sort_keys=True),
                ),
            )
        return op_id

    def finish(
        self,
        op_id: str,
        *,
        status: RunState,
        rows_in: int | None = None,
        rows_out: int | None = None,
        output_files: Sequence[str | PurePath] = (),
        error: str | None = None,
        duration: float | None = None,
        warnings: Sequence[str] = (),
        traceback: str | None = None,
    ) -> None:
        """Record how a run ended; ``duration`` (seconds) defaults to the time since its start.

        The task manager passes the worker's own run time, so time spent queued is not counted.
        A failure and the tool's warnings are events for the admins too (``traceback`` when the
        tool itself broke), in the same transaction.
        """
        if status == RunState.RUNNING or status not in RECORDED:
            raise ValueError(f"unknown final status {status!r}")
        finished = utc_now()
        error = None if error is None else error[:ERROR_CHARS]
        with self._db.write() as conn:
            started, tool, function = conn.execute(
                "SELECT started, tool, function FROM operations WHERE id = ?", (op_id,)
            ).fetchone()
            conn.execute(
                "UPDATE operations SET status = ?, finished = ?, duration = ?, rows_in = ?,"
                " rows_out = ?, output_files = ?, error = ? WHERE id = ?",
                (
                    status,
                    finished,
                    _seconds_between(started, finished) if duration is None else round(duration, 3),
                    rows_in,
                    rows_out,
                    _names(output_files),
                    error,
                    op_id,
                ),
            )
            about = {"operation_id": op_id, "tool": tool, "function": function}
            _events(conn, status, error, warnings, traceback, about)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.search(limit=limit)

    def search(
        self,
        *,
        status: str | None = None,
        tool: str | None = None,
        text: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Newest runs first, optionally of one status and tool, and containing ``text`` in the
        tool, function, user, file names, parameters or error (case-insensitive for ASCII)."""
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if tool:
            where.append("tool = ?")
            args.append(tool)
        if text:
            likes = [f"coalesce({c}, '') LIKE ? ESCAPE '\\'" for c in _SEARCHED]
            where.append("(" + " OR ".join(likes) + ")")
            args.extend([_like_pattern(text)] * len(likes))
        sql = f"SELECT {_COLUMNS} FROM operations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._db.read() as conn:
            cursor = conn.execute(sql + " ORDER BY started DESC, id LIMIT ?", (*args, limit))
            return _rows(cursor)

    def get(self, op_id: str) -> dict[str, Any] | None:
        with self._db.read() as conn:
            rows = _rows(conn.execute(f"SELECT {_COLUMNS} FROM operations WHERE id = ?", (op_id,)))
        return rows[0] if rows else None

    def mark_interrupted(self) -> int:
        """Runs still ``running`` when the app starts were cut off by a crash or a kill."""
        with self._db.write() as conn:
            return conn.execute(
                "UPDATE operations SET status = ?, finished = ?,"
                " error = 'the app stopped while this run was in progress'"
                " WHERE status = ? AND install_id = ?",
                (RunState.INTERRUPTED, utc_now(), RunState.RUNNING, self._db.install_id),
            ).rowcount


def _events(
    conn: Connection,
    status: RunState,
    error: str | None,
    warnings: Sequence[str],
    traceback: str | None,
    about: dict[str, Any],
) -> None:
    component = f"tool.{about['tool']}"
    if status == RunState.FAILED:
        # A broken tool is the team's to fix (error); a run refused on its input, the user's.
        data = {**about, "error": error}
        if traceback:
            data["traceback"] = telemetry.digest(traceback)
        level = Level.ERROR if traceback else Level.WARNING
        telemetry.record(conn, level, component, error or "the run failed", data)
    if warnings:
        telemetry.record(
            conn,
            Level.WARNING,
            component,
            f"{len(warnings)} warning(s): {warnings[0]}",
            {**about, "warnings": list(warnings[:WARNINGS_KEPT])},
            len(warnings),
        )
