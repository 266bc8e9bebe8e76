"""What every tool shares: the call a function receives, the result it returns, and the
declarations (:class:`Function`, :class:`Tool`) the registry lists.

A function takes one :class:`ToolCall` whose ``params`` is an instance of the function's own
pydantic model, validated once where the run was asked for; it reads ``call.params.threshold``,
never a string key. It reports progress through ``call.progress`` and raises
:class:`engine.errors.ToolFailed` with a message naming the file, sheet and row when the input is
wrong. Every run is a task in a worker process, so a function never polls for cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict


def no_progress(done: int, total: int | None, step: str = "") -> None:
    """The progress sink for calls nobody watches."""


ProgressFn = Callable[[int, int | None, str], None]
"""``progress(done, total, step)``: ``total`` is None while unknown; ``step`` is a short label."""


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


P = TypeVar("P", bound=BaseModel)
# A call is read-only, so a call with a subclass's params serves where the base's is expected.
P_co = TypeVar("P_co", bound=BaseModel, covariant=True)


@dataclass(frozen=True)
class ToolCall(Generic[P_co]):
    inputs: list[Path]
    # An instance of the function's ``params`` model (see engine.tools.registry.validate_params).
    params: P_co
    # The engine's data directory: tools keep their local state (dictionaries) under it.
    data_dir: Path
    progress: ProgressFn = no_progress


@dataclass(frozen=True)
class ToolResult:
    rows_in: int
    rows_out: int
    output_files: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Function(Generic[P]):
    name: str
    title: str
    description: str
    run: Callable[[ToolCall[P]], ToolResult]
    # A pydantic model (``extra="forbid"``) of the function's parameters, with defaults and
    # ``Field(description=...)``: the registry validates against it, the UI builds its form from
    # it, the CLI's ``--param KEY=VALUE`` is checked by it; ``run`` receives an instance of it.
    params: type[P]


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    functions: tuple[Function[Any], ...]

    def function(self, name: str | None) -> Function[Any] | None:
        """The named function, or the only one when ``name`` is None."""
        if name is None:
            return self.functions[0] if len(self.functions) == 1 else None
        return next((f for f in self.functions if f.name == name), None)
