"""build_dictionary, list_dictionaries, delete_dictionary.

An XLS Transfer dictionary holds pairs without StringIDs, each of one ``kind``:

* ``split``: one line of a source and the same line of its translation, from rows whose source
  and translation have the same number of lines (a one-line row gives one split pair);
* ``whole``: a whole source and a whole translation, from rows whose line counts differ.

Rows with an empty source or translation are dropped; so are split line pairs with an empty side.
Each source (normalised, per kind) keeps every translation it was given, the most frequent first
(ties: the first seen): transfers use the first and report the others as alternatives.

Whitespace the translator put there stays there: a translation keeps its outer spaces (``", "``).
Only the blank lines framing a translation are left out: they are line structure, which a transfer
takes from its target's source. A row whose source or translation reaches Excel's cell limit
(32,767 characters) is left out with a warning: Excel may have cut it.

Dictionaries saved before the store had a kind column (format 1) kept the kind in ``string_id``;
:func:`load_entries` reads them as well.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import Field

from engine.dictionaries import DictionaryStore, check_name
from engine.formats import Entry
from engine.formats.xlsx import EXCEL_CELL_LIMIT, read_columns
from engine.text.normalize import normalize, strip_outer_lines, unify_newlines
from engine.text.placeholders import compare
from engine.tools.base import NoParams, ToolCall, ToolResult
from engine.tools.xls_transfer.selection import (
    EXCEL_SUFFIXES,
    ExcelParams,
    check_inputs,
    excel_targets,
)

KIND = "xls_transfer"
SPLIT, WHOLE = "split", "whole"
# Meta flag: the sources are stored normalised (dictionaries built before it was set are not).
NORMALIZED = "normalized_sources"
# Meta: indices of the entries whose translation's placeholders differ from their source's.
MISMATCHES = "placeholder_mismatches"


class BuildParams(ExcelParams):
    name: str = Field(
        ..., description="Name to save the dictionary under (replaces one of that name)."
    )


class NameParams(NoParams):
    name: str = Field(..., description="Dictionary name.")


def pairs_of(source: str, translation: str) -> list[tuple[str, str, str]]:
    """The (kind, source, translation) pairs one row gives; empty when a side is blank. The
    translation keeps its own whitespace, less the blank lines framing it."""
    source = unify_newlines(source).strip()
    translation = strip_outer_lines(unify_newlines(translation))
    if not source or not translation.strip():
        return []
    src_lines = source.split("\n")
    tr_lines = translation.split("\n")
    if len(src_lines) != len(tr_lines):
        return [(WHOLE, source, translation)]
    return [
        (SPLIT, s.strip(), t)
        for s, t in zip(src_lines, tr_lines, strict=True)
        if s.strip() and t.strip()
    ]


def most_frequent(pairs: Iterable[tuple[str, str, str]]) -> list[Entry]:
    """Entries per (kind, normalised source), the source stored normalised (the key transfers
    match on, so they need not normalise the dictionary again): every distinct translation, the
    most frequent first."""
    counts: dict[tuple[str, str], Counter[str]] = {}
    for kind, source, translation in pairs:
        counts.setdefault((kind, normalize(source)), Counter())[translation] += 1
    # Counter.most_common keeps first-seen order among equal counts.
    return [
        Entry("", source, translation, kind)
        for (kind, source), counter in counts.items()
        for translation, _count in counter.most_common()
    ]


def _rows(call: ToolCall[BuildParams], warnings: list[str]) -> Iterator[tuple[str, str, str]]:
    targets = excel_targets(call.inputs, call.params)
    done = 0
    for target in targets:
        step = f"{target.path.name} / {target.sheet}"
        rows = read_columns(
            target.path,
            target.sheet,
            [target.source, target.translation],
            first_row=target.first_row,
        )
        for number, (source, translation) in rows:
            if max(len(source), len(translation)) >= EXCEL_CELL_LIMIT:
                warnings.append(
                    f"{step}, row {number}: left out, a cell reaches Excel's limit of "
                    f"{EXCEL_CELL_LIMIT:,} characters (it may have been cut)"
                )
                continue
            yield from pairs_of(source, translation)
            done += 1
            if done % 1000 == 0:
                call.progress(done, None, step)


def build_dictionary(call: ToolCall[BuildParams]) -> ToolResult:
    name = check_name(call.params.name)
    warnings = check_inputs(call.inputs, EXCEL_SUFFIXES, "Excel")
    pairs = list(_rows(call, warnings))
    entries = most_frequent(pairs)
    kinds = Counter(e.kind for e in entries)
    # Checked once here, so a transfer checks an exact match only where it can fail.
    mismatches = [i for i, e in enumerate(entries) if any(compare(e.source, e.translation))]
    # Sources with more than one translation (each counted once).
    ambiguous = len(entries) - len({(e.kind, e.source) for e in entries})
    meta = {
        NORMALIZED: True,
        "files": [p.name for p in call.inputs],
        "pairs_read": len(pairs),
        SPLIT: kinds[SPLIT],
        WHOLE: kinds[WHOLE],
        "alternatives": ambiguous,
        MISMATCHES: mismatches,
    }
    count = DictionaryStore(call.data_dir, KIND).save(name, entries, meta)
    call.progress(1, 1, "saved")
    return ToolResult(
        rows_in=len(pairs),
        rows_out=count,
        summary={
            "name": name,
            "entries": count,
            SPLIT: kinds[SPLIT],
            WHOLE: kinds[WHOLE],
            "alternatives": ambiguous,
        },
        warnings=warnings,
    )


def list_dictionaries(call: ToolCall[NoParams]) -> ToolResult:
    found = DictionaryStore(call.data_dir, KIND).names()
    return ToolResult(rows_in=0, rows_out=len(found), summary={"dictionaries": found})


def delete_dictionary(call: ToolCall[NameParams]) -> ToolResult:
    name = call.params.name
    DictionaryStore(call.data_dir, KIND).delete(name)
    return ToolResult(rows_in=0, rows_out=1, summary={"deleted": name})


def load_entries(data_dir: Path, name: str) -> list[Entry]:
    version, entries = DictionaryStore(data_dir, KIND).read(name)
    if version == 1:  # no kind column yet: the kind was kept in string_id
        return [Entry("", e.source, e.translation, e.string_id) for e in entries]
    return entries


def placeholder_mismatches(data_dir: Path, name: str) -> list[int] | None:
    """The entries whose placeholders differ, as the build found them (None: built before)."""
    found = DictionaryStore(data_dir, KIND).info(name)["meta"].get(MISMATCHES)
    return [int(i) for i in found] if isinstance(found, list) else None


def has_normalized_sources(data_dir: Path, name: str) -> bool:
    return bool(DictionaryStore(data_dir, KIND).info(name)["meta"].get(NORMALIZED))
