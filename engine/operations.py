"""The operations log: one replicated row per tool run.

A run writes its row twice: once when it starts (status ``running``) and once when it ends, each in
its own transaction, so a crash in between leaves a visible, honest ``running`` row. Only file
names are recorded, never paths' contents.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any

from engine.clock import utc_now
from engine.db import Database

STATUSES = ("running", "succeeded", "failed", "cancelled", "interrupted")


def _names(paths: Sequence[str | PurePath]) -> str:
    return json.dumps([PurePath(p).name for p in paths], ensure_ascii=False)


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
                " started, input_files, parameters) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    op_id,
                    self._db.install_id,
                    username,
                    tool,
                    function,
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
        status: str,
        rows_in: int | None = None,
        rows_out: int | None = None,
        output_files: Sequence[str | PurePath] = (),
        error: str | None = None,
    ) -> None:
        if status not in STATUSES[1:]:
            raise ValueError(f"unknown final status {status!r}")
        finished = utc_now()
        with self._db.write() as conn:
            (started,) = conn.execute(
                "SELECT started FROM operations WHERE id = ?", (op_id,)
            ).fetchone()
            conn.execute(
                "UPDATE operations SET status = ?, finished = ?, duration = ?, rows_in = ?,"
                " rows_out = ?, output_files = ?, error = ? WHERE id = ?",
                (
                    status,
                    finished,
                    _seconds_between(started, finished),
                    rows_in,
                    rows_out,
                    _names(output_files),
                    error,
                    op_id,
                ),
            )

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._db.read() as conn:
            cursor = conn.execute(
                "SELECT id, username, tool, function, status, started, finished, duration,"
                " rows_in, rows_out, input_files, output_files, error"
                " FROM operations ORDER BY started DESC, id LIMIT ?",
                (limit,),
            )
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def mark_interrupted(self) -> int:
        """Runs still ``running`` when the app starts were cut off by a crash or a kill."""
        with self._db.write() as conn:
            return conn.execute(
                "UPDATE operations SET status = 'interrupted', finished = ?,"
                " error = 'the app stopped while this run was in progress'"
                " WHERE status = 'running' AND install_id = ?",
                (utc_now(), self._db.install_id),
            ).rowcount
