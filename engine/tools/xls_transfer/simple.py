"""simple_transfer: copy values between sheets by looking up a key column.

The first input is the source workbook, the second the target (the same file may be given
twice). A rule reads ``key -> value`` from two columns of a source sheet and, for every target
row whose key column holds a known key, writes the value into the target column of a copy of the
target (``name_transferred.xlsx``). Keys compare after normalisation (spaces, newlines). A key
with two or more different values in the source is a conflict: nothing is written for it, and
``name_conflicts.tsv`` lists it with its values and source rows, together with target keys that
the source lacks and values longer than an Excel cell holds (a workbook written by a script can
carry them; they are held back, the rest is written).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.errors import ToolFailed
from engine.formats.xlsx import EXCEL_CELL_LIMIT, column_index, read_columns, write_cells
from engine.text.normalize import normalize
from engine.tools.base import ToolCall, ToolResult
from engine.tools.reports import output_path, write_report
from engine.tools.xls_transfer.selection import check_inputs

REPORT_HEADER = ("rule", "problem", "target_row", "key", "values", "source_rows")


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_sheet: str
    source_key_column: str
    source_value_column: str
    target_sheet: str
    target_key_column: str
    target_column: str
    first_row: int = Field(1, ge=1, description="First data row, in both sheets.")


class SimpleParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(..., min_length=1, description="Lookup rules (a list, or JSON text).")
    output_dir: str = Field("", description="Folder for the outputs; empty: beside the target.")

    @field_validator("rules", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


def _lookup(call: ToolCall[SimpleParams], rule: Rule) -> dict[str, dict[str, list[int]]]:
    """key -> value -> source rows."""
    path = call.inputs[0]
    cols = [
        column_index(rule.source_key_column, path),
        column_index(rule.source_value_column, path),
    ]
    table: dict[str, dict[str, list[int]]] = {}
    for row, (key, value) in read_columns(path, rule.source_sheet, cols, first_row=rule.first_row):
        if normalize(key) and value.strip():
            table.setdefault(normalize(key), {}).setdefault(value, []).append(row)
    return table


def simple_transfer(call: ToolCall[SimpleParams]) -> ToolResult:
    if len(call.inputs) != 2:
        raise ToolFailed("simple_transfer takes two inputs: the source workbook, then the target")
    warnings = check_inputs(call.inputs, {".xlsx", ".xlsm"}, "Excel")
    target = call.inputs[1]
    updates: dict[str, dict[tuple[int, int], str]] = {}
    problems: list[list[object]] = []
    rows_in = written = 0
    for n, rule in enumerate(call.params.rules, 1):
        table = _lookup(call, rule)
        key_col = column_index(rule.target_key_column, target)
        out_col = column_index(rule.target_column, target)
        cells = updates.setdefault(rule.target_sheet, {})
        reported: set[str] = set()
        rows = read_columns(target, rule.target_sheet, [key_col], first_row=rule.first_row)
        for row, (key,) in rows:
            norm = normalize(key)
            if not norm:
                continue
            rows_in += 1
            values = table.get(norm)
            if values is None:
                problems.append([n, "missing", row, key, "", ""])
            elif len(values) > 1:
                if norm not in reported:
                    reported.add(norm)
                    sources = "; ".join(f"{v!r}: rows {r}" for v, r in values.items())
                    problems.append([n, "conflict", row, key, " | ".join(values), sources])
            else:
                ((value, sources),) = values.items()
                if len(value) > EXCEL_CELL_LIMIT:
                    problem = (
                        f"{len(value):,} characters, more than an Excel cell holds "
                        f"({EXCEL_CELL_LIMIT:,})"
                    )
                    problems.append([n, "too_long", row, key, problem, f"rows {sources}"])
                    continue
                cells[(row, out_col)] = value
                written += 1
            if rows_in % 1000 == 0:
                call.progress(rows_in, None, f"rule {n}")
    out = output_path(target, call.params.output_dir, "transferred")
    write_cells(target, out, updates)
    report = output_path(target, call.params.output_dir, "conflicts", ".tsv")
    write_report(
        report, ("rule", "problem", "target_row", "key", "values", "source_rows"), problems
    )
    kinds = Counter(p[1] for p in problems)
    return ToolResult(
        rows_in=rows_in,
        rows_out=written,
        output_files=[out, report],
        summary={
            "written": written,
            "conflicts": kinds["conflict"],
            "missing": kinds["missing"],
            "too_long": kinds["too_long"],
        },
        warnings=warnings,
    )
