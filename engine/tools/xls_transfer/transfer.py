"""transfer_excel and transfer_txt: translations from a dictionary into copies of target files.

Each target ``name.xlsx`` / ``name.txt`` gives ``name_translated.xlsx`` / ``name_translated.txt``
(rows without a match keep their cell as it was) and ``name_transfer_report.tsv`` listing every
row read: how it matched (exact, fuzzy, lines or none), the score, the source, the translation
written and the code tags it lacks.

In a LocStr TXT file a cell cannot hold a newline: a translated newline is written as the target
source writes its own (``<br/>``, or the two characters backslash-n), ``<br/>`` by default, and a
tab as a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.formats import locstr_txt
from engine.formats.xlsx import read_columns, write_cells
from engine.tools.base import ToolCall, ToolResult
from engine.tools.reports import output_path, write_report
from engine.tools.xls_transfer.dictionary import has_normalized_sources, load_entries
from engine.tools.xls_transfer.matcher import Match, Matcher
from engine.tools.xls_transfer.selection import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    ExcelParams,
    check_inputs,
    excel_targets,
)

REPORT_HEADER = ("sheet", "row", "match", "score", "source", "translation", "missing_tags")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


class TransferTxtParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dictionary: str = Field(..., description="Name of the dictionary to translate from.")
    threshold: float = Field(
        0.99, ge=0.80, le=1.00, description="Lowest fuzzy score accepted (1.00: exact only)."
    )
    output_dir: str = Field("", description="Folder for the outputs; empty: beside each input.")


class TransferExcelParams(ExcelParams, TransferTxtParams):
    """``translation_column`` is the column the translations are written to."""


class _Counts:
    def __init__(self) -> None:
        self.by_how: dict[str, int] = {"exact": 0, "fuzzy": 0, "lines": 0, "none": 0}
        self.tag_problems = 0

    def add(self, match: Match | None) -> None:
        self.by_how["none" if match is None else match.how] += 1
        if match is not None and match.missing_tags:
            self.tag_problems += 1


def _report_row(sheet: str, row: int, source: str, match: Match | None) -> list[object]:
    if match is None:
        return [sheet, row, "none", "", source, "", ""]
    return [
        sheet,
        row,
        match.how,
        f"{match.score:.4f}",
        source,
        match.translation,
        " ".join(match.missing_tags),
    ]


def _matcher(call: ToolCall[TransferTxtParams]) -> Matcher:
    name = call.params.dictionary
    return Matcher(
        load_entries(call.data_dir, name),
        call.params.threshold,
        normalized=has_normalized_sources(call.data_dir, name),
    )


def _progress(call: ToolCall[BaseModel], step: str) -> Callable[[int, int], None]:
    return lambda done, total: call.progress(done, total, step)


def transfer_excel(call: ToolCall[TransferExcelParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES, "Excel")
    targets = excel_targets(call.inputs, call.params)
    matcher = _matcher(call)
    counts, outputs, rows_in = _Counts(), [], 0
    for path in call.inputs:
        updates: dict[str, dict[tuple[int, int], str]] = {}
        report: list[list[object]] = []
        for t in (t for t in targets if t.path == path):
            rows = list(read_columns(path, t.sheet, [t.source], first_row=t.first_row))
            texts = [cells[0] for _, cells in rows]
            found = matcher.match_many(texts, _progress(call, f"{path.name} / {t.sheet}"))
            cells = updates.setdefault(t.sheet, {})
            for (row, _), text, match in zip(rows, texts, found, strict=True):
                if not text.strip():
                    continue
                rows_in += 1
                counts.add(match)
                report.append(_report_row(t.sheet, row, text, match))
                if match is not None:
                    cells[(row, t.translation)] = match.translation
        out = output_path(path, call.params.output_dir, "translated")
        write_cells(path, out, updates)
        report_path = output_path(path, call.params.output_dir, "transfer_report", ".tsv")
        write_report(report_path, REPORT_HEADER, report)
        outputs += [out, report_path]
    return _result(rows_in, counts, outputs, warnings)


def encode_for_txt(translation: str, target_source: str) -> str:
    """A translation as one LocStr cell, newlines written the way the target source writes them."""
    if "\n" in translation:
        newline = "\\n" if "\\n" in target_source and not _BR.search(target_source) else "<br/>"
        translation = translation.replace("\n", newline)
    return translation.replace("\t", " ").replace("\r", "")


def transfer_txt(call: ToolCall[TransferTxtParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, TEXT_SUFFIXES, "LocStr TXT")
    matcher = _matcher(call)
    counts, outputs, rows_in = _Counts(), [], 0
    for path in call.inputs:
        lines = [line for line in locstr_txt.read_lines(path) if line.is_string]
        texts = [line.fields[locstr_txt.SOURCE_COLUMN] for line in lines]
        found = matcher.match_many(texts, _progress(call, path.name))
        translations: dict[int, str] = {}
        report: list[list[object]] = []
        for line, text, match in zip(lines, texts, found, strict=True):
            if not text.strip():
                continue
            rows_in += 1
            counts.add(match)
            report.append(_report_row("", line.number, text, match))
            if match is not None:
                translations[line.number] = encode_for_txt(match.translation, text)
        out = output_path(path, call.params.output_dir, "translated")
        locstr_txt.write_translations(path, out, translations)
        report_path = output_path(path, call.params.output_dir, "transfer_report", ".tsv")
        write_report(report_path, REPORT_HEADER, report)
        outputs += [out, report_path]
    return _result(rows_in, counts, outputs, warnings)


def _result(
    rows_in: int, counts: _Counts, outputs: Sequence[Path], warnings: list[str]
) -> ToolResult:
    matched = rows_in - counts.by_how["none"]
    if counts.tag_problems:
        warnings = [*warnings, f"{counts.tag_problems} translations lack code tags of their source"]
    return ToolResult(
        rows_in=rows_in,
        rows_out=matched,
        output_files=list(outputs),
        summary={**counts.by_how, "missing_tags": counts.tag_problems},
        warnings=warnings,
    )
