"""Consistency checks over translated entries, each with a report.

* line check: one source text (normalised) translated in more than one way;
* pattern check: the game code tags of source and translation differ (as multisets);
* character count check: a symbol occurs a different number of times in source and translation.

Entries without a translation are not checked: untranslated is not inconsistent.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal

from pydantic import Field

from engine.formats import Entry
from engine.text.normalize import normalize
from engine.text.tags import TAG, find_tags
from engine.tools.base import ToolCall, ToolResult
from engine.tools.entries import Loaded, SourceParams, load_entries
from engine.tools.reports import report_path, write_report

SYMBOL_SETS = {
    "brackets": "()[]{}<>",
    "quotes": "\"'",
    "format": "%#@$&|\\/",
    "math": "+-=*",
}
SymbolSet = Literal["brackets", "quotes", "format", "math"]
# How many StringIDs a line-check row lists before eliding the rest.
MAX_IDS = 10


class LineCheckParams(SourceParams):
    pass


class PatternCheckParams(SourceParams):
    include_line_breaks: bool = Field(False, description="Also compare <br/> line breaks.")


class CharacterCountParams(SourceParams):
    symbol_sets: list[SymbolSet] = Field(
        ["brackets"],
        description="Symbol sets to count: "
        + "; ".join(f"{k} {v}" for k, v in SYMBOL_SETS.items()),
    )
    extra_symbols: str = Field("", description="More symbols to count, written one after another.")
    ignore_code_tags: bool = Field(True, description="Do not count symbols inside code tags.")


def _translated(loaded: Loaded) -> list[Entry]:
    return [e for e in loaded.entries if e.translation.strip()]


def _result(
    call: ToolCall[SourceParams],
    stem: str,
    header: list[str],
    rows: list[tuple[Any, ...]],
    loaded: Loaded,
    **summary: Any,
) -> ToolResult:
    report = report_path(call, stem)
    write_report(report, header, rows, call.params.report_format)
    return ToolResult(
        rows_in=len(loaded.entries),
        rows_out=len(rows),
        output_files=[report],
        summary=summary,
        warnings=loaded.warnings,
    )


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_IDS])
    return shown + (f" (+{len(ids) - MAX_IDS} more)" if len(ids) > MAX_IDS else "")


def line_check(call: ToolCall[LineCheckParams]) -> ToolResult:
    loaded = load_entries(call)
    # normalised source -> normalised translation -> (first raw source, first raw translation, ids)
    groups: dict[str, dict[str, tuple[str, str, list[str]]]] = {}
    for entry in _translated(loaded):
        variants = groups.setdefault(normalize(entry.source), {})
        key = normalize(entry.translation)
        variants.setdefault(key, (entry.source, entry.translation, []))[2].append(entry.string_id)
    rows = []
    group = 0
    for variants in groups.values():
        if len(variants) < 2:
            continue
        group += 1
        ordered = sorted(variants.values(), key=lambda v: -len(v[2]))
        for source, translation, ids in ordered:
            rows.append((group, source, translation, len(ids), _ids(ids)))
    header = ["group", "source", "translation", "count", "string_ids"]
    return _result(call, "line_check", header, rows, loaded, groups=group)


def pattern_check(call: ToolCall[PatternCheckParams]) -> ToolResult:
    p = call.params
    loaded = load_entries(call)
    rows = []
    for entry in _translated(loaded):
        source = Counter(find_tags(entry.source, with_br=p.include_line_breaks))
        target = Counter(find_tags(entry.translation, with_br=p.include_line_breaks))
        if source != target:
            missing = " ".join(sorted((source - target).elements()))
            extra = " ".join(sorted((target - source).elements()))
            rows.append((entry.string_id, entry.source, entry.translation, missing, extra))
    header = [
        "string_id",
        "source",
        "translation",
        "missing_in_translation",
        "extra_in_translation",
    ]
    return _result(call, "pattern_check", header, rows, loaded, problems=len(rows))


def character_count_check(call: ToolCall[CharacterCountParams]) -> ToolResult:
    p = call.params
    symbols = "".join(
        dict.fromkeys("".join(SYMBOL_SETS[s] for s in p.symbol_sets) + p.extra_symbols)
    )
    loaded = load_entries(call)
    rows = []
    for entry in _translated(loaded):
        source, target = entry.source, entry.translation
        if p.ignore_code_tags:
            source, target = TAG.sub("", source), TAG.sub("", target)
        for symbol in symbols:
            a, b = source.count(symbol), target.count(symbol)
            if a != b:
                rows.append((entry.string_id, entry.source, entry.translation, symbol, a, b))
    header = ["string_id", "source", "translation", "symbol", "source_count", "translation_count"]
    return _result(
        call, "character_count_check", header, rows, loaded, symbols=symbols, problems=len(rows)
    )
