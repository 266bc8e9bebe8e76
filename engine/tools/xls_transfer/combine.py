"""combine_excel: the chosen columns of every sheet of several workbooks, stacked into one sheet
of a new workbook with their cell styles (fonts, fills, borders, alignment, number formats)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.formats.xlsx import ColumnSource, column_index, combine_columns, sheet_names
from engine.tools.base import ToolCall, ToolResult
from engine.tools.xls_transfer.selection import EXCEL_SUFFIXES, check_inputs


class CombineParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: str = Field("A,B", description="Columns to take, comma separated (e.g. A,B,D).")
    sheet: str = Field("", description="Sheet to take from each file; empty: every sheet.")
    header_rows: int = Field(
        0, ge=0, description="Header rows: kept from the first sheet, skipped in the others."
    )
    output: str = Field(
        "", description="Output workbook; empty: combined.xlsx beside the first input."
    )


def combine_excel(call: ToolCall[CombineParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES - {".xls"}, "Excel")
    params = call.params
    parts: list[ColumnSource] = []
    for path in call.inputs:
        names = sheet_names(path)
        if params.sheet and params.sheet not in names:
            raise FormatError(path, f"no sheet {params.sheet!r}", sheet=params.sheet)
        columns = [column_index(c, path) for c in params.columns.split(",") if c.strip()]
        if not columns:
            raise ToolFailed("columns: name at least one column, e.g. A,B")
        for sheet in [params.sheet] if params.sheet else names:
            first = 1 if not parts else params.header_rows + 1
            parts.append(ColumnSource(path, sheet, columns, first_row=first))
    output = Path(params.output) if params.output else call.inputs[0].parent / "combined.xlsx"
    call.progress(0, len(parts), "combining")
    rows = combine_columns(parts, output)
    call.progress(len(parts), len(parts), "saved")
    return ToolResult(
        rows_in=rows,
        rows_out=rows,
        output_files=[output],
        summary={"sheets": len(parts), "rows": rows},
        warnings=warnings,
    )
