"""newline_check and newline_adapt: translations whose line count differs from their source's.

newline_check writes ``newline_report.tsv`` (file, sheet, row, source lines, translation lines,
source, translation). newline_adapt writes ``name_adapted.xlsx`` (or ``.txt``) in which each such
translation is re-wrapped to its source's line count by :func:`adapt`, and reports the rows it
could not adapt.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from engine.formats import locstr_txt
from engine.formats.xlsx import read_columns, write_cells
from engine.text.normalize import line_count, unify_newlines
from engine.text.tags import protect, restore
from engine.tools.base import ToolCall, ToolResult
from engine.tools.reports import output_path, write_report
from engine.tools.xls_transfer.selection import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    ExcelParams,
    check_inputs,
    excel_targets,
)
from engine.tools.xls_transfer.transfer import encode_for_txt

# A sentence ends after . ! ? … or their full-width forms, and closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'”’)\]」』]*(?=\s|$)|[。！？]+")


class NewlineParams(ExcelParams):
    output_dir: str = Field("", description="Folder for the outputs; empty: beside the inputs.")


@dataclass(frozen=True)
class Pair:
    path: Path
    sheet: str
    row: int
    column: int  # translation column, 0-based (Excel only)
    source: str
    translation: str


def _pairs(call: ToolCall[NewlineParams]) -> Iterator[Pair]:
    excel = [p for p in call.inputs if p.suffix.lower() in EXCEL_SUFFIXES]
    for t in excel_targets(excel, call.params) if excel else []:
        cols = [t.source, t.translation]
        for row, (source, translation) in read_columns(
            t.path, t.sheet, cols, first_row=t.first_row
        ):
            yield Pair(t.path, t.sheet, row, t.translation, source, translation)
    for path in (p for p in call.inputs if p.suffix.lower() in TEXT_SUFFIXES):
        for line in locstr_txt.read_lines(path):
            if line.is_string and len(line.fields) > locstr_txt.TRANSLATION_COLUMN:
                source = line.fields[locstr_txt.SOURCE_COLUMN]
                translation = line.fields[locstr_txt.TRANSLATION_COLUMN]
                yield Pair(path, "", line.number, -1, source, translation)


def _mismatched(call: ToolCall[NewlineParams]) -> Iterator[tuple[Pair, int, int]]:
    for n, pair in enumerate(_pairs(call), 1):
        if n % 1000 == 0:
            call.progress(n, None, pair.path.name)
        if pair.source.strip() and pair.translation.strip():
            src, tr = line_count(pair.source), line_count(pair.translation)
            if src != tr:
                yield pair, src, tr


def _breaks(text: str, pattern: re.Pattern[str]) -> list[int]:
    return [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]


def _pick(candidates: list[int], ideals: list[float]) -> list[int] | None:
    """One break per ideal position, in order, each the nearest candidate still possible."""
    chosen: list[int] = []
    start = 0
    for k, ideal in enumerate(ideals):
        still_needed = len(ideals) - k - 1
        usable = candidates[start : len(candidates) - still_needed]
        if not usable:
            return None
        best = min(range(len(usable)), key=lambda i: abs(usable[i] - ideal))
        chosen.append(usable[best])
        start += best + 1
    return chosen


def adapt(source: str, translation: str) -> str | None:
    """``translation`` re-wrapped to the line count of ``source``: breaks go after sentence
    punctuation nearest to where the source's line lengths put them, else at spaces; code tags are
    never split. None when there are too few places to break."""
    want = line_count(source)
    lines = [ln.strip() for ln in unify_newlines(translation).split("\n") if ln.strip()]
    if want < 1 or not lines:
        return None
    flat, tags = protect(" ".join(lines))
    if want == 1:
        return restore(flat, tags)
    src_lines = [ln.strip() for ln in unify_newlines(source).strip().split("\n")]
    total = sum(len(s) for s in src_lines) or 1
    cumulative, ideals = 0, []
    for s in src_lines[:-1]:
        cumulative += len(s)
        ideals.append(cumulative / total * len(flat))
    chosen = _pick(_breaks(flat, _SENTENCE_END), ideals)
    if chosen is None:
        chosen = _pick(
            sorted(set(_breaks(flat, _SENTENCE_END) + _breaks(flat, re.compile(r" ")))), ideals
        )
    if chosen is None:
        return None
    bounds = [0, *chosen, len(flat)]
    pieces = [flat[a:b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]
    return "\n".join(restore(p, tags) for p in pieces)


def newline_check(call: ToolCall[NewlineParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES | TEXT_SUFFIXES, "Excel or LocStr TXT")
    rows = [
        [p.path.name, p.sheet, p.row, src, tr, p.source, p.translation]
        for p, src, tr in _mismatched(call)
    ]
    report = output_path(call.inputs[0], call.params.output_dir, "newline_report", ".tsv")
    header = ("file", "sheet", "row", "source_lines", "translation_lines", "source", "translation")
    write_report(report, header, rows)
    return ToolResult(
        rows_in=0,
        rows_out=len(rows),
        output_files=[report],
        summary={"mismatches": len(rows)},
        warnings=warnings,
    )


def newline_adapt(call: ToolCall[NewlineParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES | TEXT_SUFFIXES, "Excel or LocStr TXT")
    excel: dict[Path, dict[str, dict[tuple[int, int], str]]] = {p: {} for p in call.inputs}
    text: dict[Path, dict[int, str]] = {p: {} for p in call.inputs}
    failed: list[list[object]] = []
    adapted = 0
    for pair, src, tr in _mismatched(call):
        new = adapt(pair.source, pair.translation)
        if new is None:
            failed.append(
                [pair.path.name, pair.sheet, pair.row, src, tr, pair.source, pair.translation]
            )
            continue
        adapted += 1
        if pair.column >= 0:
            excel[pair.path].setdefault(pair.sheet, {})[(pair.row, pair.column)] = new
        else:
            text[pair.path][pair.row] = encode_for_txt(new, pair.source)
    outputs = []
    for path in call.inputs:
        out = output_path(path, call.params.output_dir, "adapted")
        if path.suffix.lower() in TEXT_SUFFIXES:
            locstr_txt.write_translations(path, out, text[path])
        else:
            write_cells(path, out, excel[path])
        outputs.append(out)
    report = output_path(call.inputs[0], call.params.output_dir, "adapt_failures", ".tsv")
    header = ("file", "sheet", "row", "source_lines", "translation_lines", "source", "translation")
    write_report(report, header, failed)
    if failed:
        warnings = [*warnings, f"{len(failed)} translations could not be re-wrapped (see report)"]
    return ToolResult(
        rows_in=adapted + len(failed),
        rows_out=adapted,
        output_files=[*outputs, report],
        summary={"adapted": adapted, "failed": len(failed)},
        warnings=warnings,
    )
