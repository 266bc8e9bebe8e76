"""transfer_excel and transfer_txt: translations from a dictionary into copies of target files.

Each target ``name.xlsx`` / ``name.txt`` gives ``name_translated.xlsx`` / ``name_translated.txt``
(rows without a match keep their cell as it was) and ``name_transfer_report.tsv`` listing every
row read: how it matched (exact, fuzzy, lines or none), the score, the source, the translation,
the placeholders it lacks or adds, whether it was written, whether it needs review and why, the
dictionary source it matched with the differences from the target's source (``[-only in the
dictionary's-]{+only in the target's+}``), and the other translations that source has.

Nothing is written silently wrong: a match whose placeholders differ from its source's (any
syntax, see :mod:`engine.text.placeholders`) is held back for review, or with
``write_for_review`` written into a cell marked for review (Excel only); a translation longer
than an Excel cell holds is never written cut. Fuzzy and line-by-line fills, and matches that
chose among several translations, are marked ``needs_review`` too.

The written translation keeps its own outer spaces and takes the blank lines framing the target's
source (line structure follows the source, as everywhere in XLS Transfer).

In a LocStr TXT file a cell cannot hold a newline: a translated newline is written as the target
source writes its own (``<br/>``, or the two characters backslash-n), ``<br/>`` by default, and a
tab as a space.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.formats import locstr_txt
from engine.formats.xlsx import EXCEL_CELL_LIMIT, read_columns, write_cells
from engine.text.diff import differences
from engine.text.normalize import frame_like, normalize
from engine.tools.base import ToolCall, ToolResult
from engine.tools.reports import output_path, write_report
from engine.tools.xls_transfer.dictionary import (
    has_normalized_sources,
    load_entries,
    placeholder_mismatches,
)
from engine.tools.xls_transfer.matcher import EXACT, Match, Matcher
from engine.tools.xls_transfer.selection import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    ExcelParams,
    check_inputs,
    excel_targets,
)

REPORT_HEADER = (
    "sheet",
    "row",
    "match",
    "score",
    "source",
    "translation",
    "missing_tags",
    "extra_placeholders",
    "written",
    "needs_review",
    "problem",
    "matched_source",
    "differences",
    "alternatives",
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Written: as found; held back for review; written with the cell marked for review.
YES, HELD, MARKED = "yes", "no", "marked"
PLACEHOLDERS_DIFFER = "placeholders differ from the source's"


class TransferTxtParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dictionary: str = Field(..., description="Name of the dictionary to translate from.")
    threshold: float = Field(
        0.99, ge=0.80, le=1.00, description="Lowest fuzzy score accepted (1.00: exact only)."
    )
    output_dir: str = Field("", description="Folder for the outputs; empty: beside each input.")


class TransferExcelParams(ExcelParams, TransferTxtParams):
    """``translation_column`` is the column the translations are written to."""

    write_for_review: bool = Field(
        False,
        description="Also write fills whose placeholders differ from their source's, each cell "
        "marked for review (yellow, with a comment); else they are only in the report.",
    )


@dataclass
class Fill:
    """What a transfer does with one target row: the match, the text to write, and why it is
    held back or marked (empty: written as found)."""

    match: Match | None
    text: str = ""
    problem: str = ""
    written: str = ""

    @property
    def needs_review(self) -> bool:
        m = self.match
        return m is not None and (m.how != EXACT or bool(self.problem) or bool(m.alternatives))


def decide(match: Match | None, source: str, *, cell_limit: int | None, mark: bool) -> Fill:
    """The fill of one row: the translation framed like its source (see
    :func:`engine.text.normalize.frame_like`), held back when its placeholders differ (written
    and marked with ``mark``) or when it is longer than ``cell_limit``."""
    if match is None:
        return Fill(None)
    text = frame_like(match.translation, source)
    if cell_limit is not None and len(text) > cell_limit:
        problem = f"{len(text):,} characters, more than an Excel cell holds ({cell_limit:,})"
        return Fill(match, text, problem, HELD)
    if match.placeholders_differ:
        return Fill(match, text, PLACEHOLDERS_DIFFER, MARKED if mark else HELD)
    return Fill(match, text, "", YES)


class _Counts:
    def __init__(self) -> None:
        self.by_how: dict[str, int] = {"exact": 0, "fuzzy": 0, "lines": 0, "none": 0}
        self.tag_problems = 0
        self.held = 0
        self.marked = 0
        self.ambiguous = 0

    def add(self, fill: Fill) -> None:
        match = fill.match
        self.by_how["none" if match is None else match.how] += 1
        if match is None:
            return
        self.tag_problems += match.placeholders_differ
        self.held += fill.written == HELD
        self.marked += fill.written == MARKED
        self.ambiguous += bool(match.alternatives)


def _report_row(sheet: str, row: int, source: str, fill: Fill) -> list[object]:
    match = fill.match
    if match is None:
        return [sheet, row, "none", "", source, "", "", "", "", "", "", "", "", ""]
    fuzzy = match.how != EXACT
    return [
        sheet,
        row,
        match.how,
        f"{match.score:.4f}",
        source,
        fill.text,
        " ".join(match.missing_tags),
        " ".join(match.extra_placeholders),
        fill.written,
        "yes" if fill.needs_review else "",
        fill.problem,
        match.matched,
        differences(match.matched, normalize(source)) if fuzzy else "",
        " | ".join(match.alternatives),
    ]


def _matcher(call: ToolCall[TransferTxtParams]) -> Matcher:
    name = call.params.dictionary
    return Matcher(
        load_entries(call.data_dir, name),
        call.params.threshold,
        normalized=has_normalized_sources(call.data_dir, name),
        differing=placeholder_mismatches(call.data_dir, name),
    )


def _progress(call: ToolCall[BaseModel], step: str) -> Callable[[int, int], None]:
    return lambda done, total: call.progress(done, total, step)


def transfer_excel(call: ToolCall[TransferExcelParams]) -> ToolResult:
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES, "Excel")
    targets = excel_targets(call.inputs, call.params)
    matcher = _matcher(call)
    mark = call.params.write_for_review
    counts, outputs, rows_in = _Counts(), [], 0
    for path in call.inputs:
        updates: dict[str, dict[tuple[int, int], str]] = {}
        notes: dict[str, dict[tuple[int, int], str]] = {}
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
                fill = decide(match, text, cell_limit=EXCEL_CELL_LIMIT, mark=mark)
                counts.add(fill)
                report.append(_report_row(t.sheet, row, text, fill))
                if fill.written in (YES, MARKED):
                    cells[(row, t.translation)] = fill.text
                if fill.written == MARKED:
                    notes.setdefault(t.sheet, {})[(row, t.translation)] = _note(fill)
        out = output_path(path, call.params.output_dir, "translated")
        write_cells(path, out, updates, marks=notes)
        report_path = output_path(path, call.params.output_dir, "transfer_report", ".tsv")
        write_report(report_path, REPORT_HEADER, report)
        outputs += [out, report_path]
    return _result(rows_in, counts, outputs, warnings)


def _note(fill: Fill) -> str:
    assert fill.match is not None
    missing = " ".join(fill.match.missing_tags) or "none"
    extra = " ".join(fill.match.extra_placeholders) or "none"
    return f"Review: {fill.problem} (missing: {missing}; extra: {extra})"


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
            fill = decide(match, text, cell_limit=None, mark=False)
            counts.add(fill)
            report.append(_report_row("", line.number, text, fill))
            if fill.written == YES:
                translations[line.number] = encode_for_txt(fill.text, text)
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
    warnings = list(warnings)
    if counts.held:
        warnings.append(
            f"{counts.held} matches not written (placeholders differ, or too long for a cell): "
            "see needs_review in the report"
        )
    if counts.marked:
        warnings.append(f"{counts.marked} cells written and marked for review")
    if counts.ambiguous:
        warnings.append(
            f"{counts.ambiguous} matches chose among several translations of their source: "
            "see alternatives in the report"
        )
    return ToolResult(
        rows_in=rows_in,
        rows_out=matched - counts.held,
        output_files=list(outputs),
        summary={
            **counts.by_how,
            "missing_tags": counts.tag_problems,
            "not_written": counts.held,
            "marked_for_review": counts.marked,
            "ambiguous": counts.ambiguous,
        },
        warnings=warnings,
    )
