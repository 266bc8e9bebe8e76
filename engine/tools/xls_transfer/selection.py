"""Which sheets and columns of which input files a function works on, and the input checks
shared by every function (file kinds, sizes)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.formats.xlsx import column_index, sheet_names

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
TEXT_SUFFIXES = {".txt", ".tsv"}
# Inputs above this size still run, with a warning that it will take a while and much memory.
LARGE_FILE = 100 * 1024 * 1024


class SheetColumns(BaseModel):
    """The columns of one sheet (or of every sheet) of one input (or of every input)."""

    model_config = ConfigDict(extra="forbid")
    file: str = Field("", description="Input file name this applies to; empty: every input.")
    sheet: str = Field("", description="Sheet name; empty: every sheet.")
    source_column: str = Field("A", description="Column of the source text (letter or number).")
    translation_column: str = Field(
        "B", description="Column of the translation (letter or number)."
    )


class ExcelParams(BaseModel):
    """Columns to read, for every function that reads source/translation columns of Excel files."""

    model_config = ConfigDict(extra="forbid")
    sheet: str = Field("", description="Sheet to use; empty: every sheet.")
    source_column: str = Field("A", description="Column of the source text (letter or number).")
    translation_column: str = Field(
        "B", description="Column of the translation (letter or number)."
    )
    first_row: int = Field(1, ge=1, description="First data row (2 skips a header row).")
    selections: list[SheetColumns] = Field(
        default_factory=list,
        description="Per file and sheet columns (a list, or the same as JSON text); when given, "
        "only the sheets it names are used and the three fields above are ignored.",
    )

    @field_validator("selections", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        # The CLI passes every parameter as text.
        if isinstance(value, str):
            return json.loads(value) if value.strip() else []
        return value


@dataclass(frozen=True)
class SheetTarget:
    """One sheet of one input with its two columns (0-based)."""

    path: Path
    sheet: str
    source: int
    translation: int
    first_row: int


def _matches(sel: SheetColumns, path: Path) -> bool:
    return sel.file in ("", path.name, str(path))


def excel_targets(inputs: list[Path], p: ExcelParams) -> list[SheetTarget]:
    """Every (file, sheet, columns) the parameters choose, in input and sheet order."""
    selections = p.selections or [
        SheetColumns(
            sheet=p.sheet, source_column=p.source_column, translation_column=p.translation_column
        )
    ]
    for sel in selections:
        if sel.file and not any(_matches(sel, path) for path in inputs):
            raise ToolFailed(f"selection names {sel.file!r}, which is not an input")
    targets = []
    for path in inputs:
        sheets = sheet_names(path)
        for sel in selections:
            if not _matches(sel, path):
                continue
            if sel.sheet and sel.sheet not in sheets:
                raise FormatError(
                    path, f"no sheet {sel.sheet!r} (sheets: {', '.join(sheets)})", sheet=sel.sheet
                )
            src = column_index(sel.source_column, path)
            tr = column_index(sel.translation_column, path)
            for sheet in [sel.sheet] if sel.sheet else sheets:
                targets.append(SheetTarget(path, sheet, src, tr, p.first_row))
    return targets


def check_inputs(inputs: list[Path], suffixes: set[str], what: str) -> list[str]:
    """Refuse missing inputs and unexpected kinds; returns warnings for very large files."""
    if not inputs:
        raise ToolFailed(f"give at least one {what} file")
    warnings = []
    for path in inputs:
        if not path.is_file():
            raise FormatError(path, "file not found")
        if path.suffix.lower() not in suffixes:
            raise FormatError(
                path, f"not a supported {what} file (expected {', '.join(sorted(suffixes))})"
            )
        size = path.stat().st_size
        if size > LARGE_FILE:
            warnings.append(
                f"{path.name}: large file ({size // (1024 * 1024)} MB), slow to process"
            )
    return warnings
