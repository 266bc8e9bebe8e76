"""Localization tools. Each tool is a function taking input paths and parameters and returning a
:class:`ToolResult`; :mod:`engine.runner` records every run as an operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ToolResult:
    rows_in: int
    rows_out: int
    output_files: list[Path] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


ToolFunction = Callable[[list[Path], dict[str, Any]], ToolResult]


@dataclass(frozen=True)
class Tool:
    name: str
    function: str
    title: str
    description: str
    run: ToolFunction


def registry() -> dict[str, Tool]:
    from engine.tools import text_stats

    tools = [text_stats.TOOL]
    return {t.name: t for t in tools}
