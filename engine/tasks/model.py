"""What a task looks like from outside: an immutable snapshot, replaced on every change."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.operations import RunState
from engine.tools.base import ToolResult


@dataclass(frozen=True)
class Task:
    id: str  # also the id of its operation row
    tool: str
    function: str
    title: str
    inputs: tuple[Path, ...]
    params: dict[str, Any]
    username: str
    submitted: str
    state: RunState = RunState.QUEUED
    done: int = 0
    total: int | None = None
    step: str = ""
    rate: float | None = None  # units of ``done`` per second, over the last few seconds
    eta: float | None = None  # seconds
    pid: int | None = None
    started_at: float | None = None  # time.monotonic() when the tool function began
    duration: float | None = None  # seconds the worker ran, once finished
    cancel_requested: bool = False
    error: str | None = None
    warnings: tuple[str, ...] = ()
    rows_in: int | None = None
    rows_out: int | None = None
    outputs: tuple[Path, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state.final

    @property
    def elapsed(self) -> float:
        if self.duration is not None:
            return self.duration
        return 0.0 if self.started_at is None else time.monotonic() - self.started_at

    def result(self) -> ToolResult | None:
        if self.state is not RunState.SUCCEEDED:
            return None
        return ToolResult(
            rows_in=self.rows_in or 0,
            rows_out=self.rows_out or 0,
            output_files=list(self.outputs),
            summary=dict(self.summary),
            warnings=list(self.warnings),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; the local UI and API see full paths, the operation row only names."""
        return {
            "id": self.id,
            "operation_id": self.id,
            "tool": self.tool,
            "function": self.function,
            "title": self.title,
            "inputs": [str(p) for p in self.inputs],
            "params": self.params,
            "username": self.username,
            "submitted": self.submitted,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "step": self.step,
            "rate": self.rate,
            "eta": self.eta,
            "elapsed": round(self.elapsed, 3),
            "pid": self.pid,
            "cancel_requested": self.cancel_requested,
            "error": self.error,
            "warnings": list(self.warnings),
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "outputs": [str(p) for p in self.outputs],
            "summary": self.summary,
        }
