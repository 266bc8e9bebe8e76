"""Localization tools.

A tool (``xls_transfer``, ``quick_search`` ...) offers one or more functions (``build_dictionary``,
``transfer_excel`` ...). A function takes one :class:`ToolCall` and returns a :class:`ToolResult`;
it reports progress through ``call.progress`` and raises :class:`engine.errors.ToolFailed` with a
message naming the file, sheet and row when the input is wrong. The task runner records every run
as one operation row and runs it in a worker process, so a function never has to poll for
cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict


def no_progress(done: int, total: int | None, step: str = "") -> None:
    """The progress sink for calls nobody watches."""


ProgressFn = Callable[[int, int | None, str], None]
"""``progress(done, total, step)``: ``total`` is None while unknown; ``step`` is a short label."""


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ToolCall:
    inputs: list[Path]
    # Validated by the runner against the function's ``params`` model and dumped to a dict.
    params: dict[str, Any]
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
class Function:
    name: str
    title: str
    description: str
    run: Callable[[ToolCall], ToolResult]
    # A pydantic model (``extra="forbid"``) of the function's parameters, with defaults and
    # ``Field(description=...)``: the runner validates against it, the UI builds its form from it,
    # the CLI's ``--param KEY=VALUE`` is checked by it.
    params: type[BaseModel] = NoParams


@dataclass(frozen=True)
class Tool:
    name: str
    title: str
    description: str
    functions: tuple[Function, ...]

    def function(self, name: str | None) -> Function | None:
        """The named function, or the only one when ``name`` is None."""
        if name is None:
            return self.functions[0] if len(self.functions) == 1 else None
        return next((f for f in self.functions if f.name == name), None)


def registry() -> dict[str, Tool]:
    from engine.tools import quick_search, similar_strings, text_stats, xls_transfer

    tools = [xls_transfer.TOOL, quick_search.TOOL, similar_strings.TOOL, text_stats.TOOL]
    return {t.name: t for t in tools}
