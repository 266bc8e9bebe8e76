"""Shared helpers of the XLS Transfer tests: real workbooks and calls through the params models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from engine.tools.base import ToolCall, ToolResult
from engine.tools.registry import validate_params
from engine.tools.xls_transfer import TOOL


def book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


def cells(path: Path, sheet: str, column: str) -> list[Any]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [ws[f"{column}{r}"].value for r in range(1, ws.max_row + 1)]


def run(
    function: str, inputs: list[Path], data_dir: Path, progress: list | None = None, **params: Any
) -> ToolResult:
    fn = TOOL.function(function)
    assert fn is not None

    def record(done: int, total: int | None, step: str = "") -> None:
        if progress is not None:
            progress.append((done, total, step))

    return fn.run(ToolCall(inputs, validate_params(fn, params), data_dir, record))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.tmp"))
