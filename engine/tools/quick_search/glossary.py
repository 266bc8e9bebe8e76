"""Glossary functions: extract candidate terms from a dictionary, and check that translations use
the glossary's translation of every term in their source.

Both match many terms against many texts at once with an Aho-Corasick automaton (pyahocorasick),
one pass per text whatever the number of terms.

A candidate term is a whole source string that is short (``min_length`` to ``max_length``
characters), has a translation, no code tag or line break, and, unless allowed, no punctuation.
Its occurrence count is the number of distinct source texts that contain it (itself included), so
``min_occurrence=2`` keeps terms that appear inside at least one other string.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import ahocorasick
from openpyxl import load_workbook
from pydantic import Field

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.text.tags import TAG
from engine.tools.base import ToolCall, ToolResult
from engine.tools.entries import SourceParams, load_entries
from engine.tools.reports import read_report, report_path, write_report


class ExtractParams(SourceParams):
    min_length: int = Field(2, ge=1, description="Shortest term, in characters.")
    max_length: int = Field(15, ge=1, description="Longest term, in characters.")
    min_occurrence: int = Field(2, ge=1, description="Least number of source texts holding it.")
    allow_punctuation: bool = Field(False, description="Keep terms containing punctuation.")
    whole_words: bool = Field(False, description="Count only matches not inside a longer word.")


class TermCheckParams(SourceParams):
    glossary: Path | None = Field(
        None,
        description="Glossary file: TSV or xlsx, term and translation. Empty: the team glossary "
        "(the engine exports it for the run, filtered by game and language).",
    )
    game: str | None = Field(
        None, description="Team glossary: terms of this game (and those of no game)."
    )
    language: str | None = Field(
        None, description="Team glossary: terms of this language (and those of no language)."
    )
    ignore_case: bool = Field(True, description="Ignore letter case when looking in the target.")
    whole_words: bool = Field(False, description="Find terms only as whole words in the source.")


def _has_punctuation(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("P") for ch in text)


def _automaton(terms: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for n, term in enumerate(terms):
        automaton.add_word(term, (n, len(term)))
    automaton.make_automaton()
    return automaton


def _matches(
    automaton: ahocorasick.Automaton, text: str, whole_words: bool
) -> Iterator[tuple[int, int, int]]:
    """``(term, start, end)`` of every match; with ``whole_words`` only those not touching a
    letter or digit on either side."""
    for last, (term, length) in automaton.iter(text):
        start, end = last - length + 1, last + 1
        if whole_words and (
            (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())
        ):
            continue
        yield term, start, end


def extract(call: ToolCall[ExtractParams]) -> ToolResult:
    p = call.params
    loaded = load_entries(call)
    translations: dict[str, Counter[str]] = {}
    for entry in loaded.entries:
        term = entry.source.strip()
        if not (p.min_length <= len(term) <= p.max_length) or not entry.translation.strip():
            continue
        if TAG.search(term) or "\n" in term or (not p.allow_punctuation and _has_punctuation(term)):
            continue
        translations.setdefault(term, Counter())[entry.translation.strip()] += 1
    terms = list(translations)
    counts = [0] * len(terms)
    if terms:
        automaton = _automaton(terms)
        texts = {entry.source for entry in loaded.entries}
        for done, text in enumerate(texts):
            if done % 10000 == 0:
                call.progress(done, len(texts), "counting terms")
            for term in {t for t, _s, _e in _matches(automaton, text, p.whole_words)}:
                counts[term] += 1
    kept = sorted(
        (n for n in range(len(terms)) if counts[n] >= p.min_occurrence),
        key=lambda n: (-counts[n], terms[n]),
    )
    rows = [(terms[n], translations[terms[n]].most_common(1)[0][0], counts[n]) for n in kept]
    report = report_path(call, "glossary")
    write_report(report, ["term", "translation", "occurrences"], rows, p.report_format)
    return ToolResult(
        rows_in=len(loaded.entries),
        rows_out=len(rows),
        output_files=[report],
        summary={"candidates": len(terms), "terms": len(rows), "top": [list(r) for r in rows[:20]]},
        warnings=loaded.warnings,
    )


def _glossary_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    if not path.is_file():
        raise ToolFailed(f"{path}: glossary file not found")
    if path.suffix.lower() == ".xlsx":
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for n, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
                yield n, ["" if v is None else str(v) for v in values]
        finally:
            book.close()
        return
    yield from enumerate(read_report(path), 1)


def read_glossary(path: Path) -> dict[str, set[str]]:
    """term -> accepted translations, from the first two columns (a ``term`` header is skipped)."""
    glossary: dict[str, set[str]] = {}
    for n, row in _glossary_rows(path):
        if n == 1 and row and row[0].strip().lower() == "term":
            continue
        if not row or not row[0].strip():
            continue
        if len(row) < 2 or not row[1].strip():
            raise FormatError(path, "a term without a translation", row=n)
        glossary.setdefault(row[0].strip(), set()).add(row[1].strip())
    if not glossary:
        raise FormatError(path, "the glossary has no terms")
    return glossary


def _longest_only(matches: list[tuple[int, int, int]]) -> set[int]:
    """Terms matched, leaving out those lying inside a longer match ("Sword" in "Fire Sword")."""
    kept = set()
    for term, start, end in matches:
        covered = any(s <= start and end <= e and (e - s) > (end - start) for _t, s, e in matches)
        if not covered:
            kept.add(term)
    return kept


def term_check(call: ToolCall[TermCheckParams]) -> ToolResult:
    p = call.params
    if p.glossary is None:  # the engine fills it with the team glossary before the run starts
        raise ToolFailed("give a glossary file")
    glossary = read_glossary(p.glossary)
    terms = list(glossary)
    automaton = _automaton(terms)
    fold = str.casefold if p.ignore_case else str
    expected = [{fold(t) for t in glossary[term]} for term in terms]
    loaded = load_entries(call)
    rows = []
    for entry in loaded.entries:
        if not entry.translation.strip():
            continue
        found = _longest_only(list(_matches(automaton, entry.source, p.whole_words)))
        target = fold(entry.translation)
        for term in sorted(found):
            if not any(t in target for t in expected[term]):
                wanted = " | ".join(sorted(glossary[terms[term]]))
                rows.append((entry.string_id, entry.source, entry.translation, terms[term], wanted))
    report = report_path(call, "term_check")
    header = ["string_id", "source", "translation", "term", "glossary_translation"]
    write_report(report, header, rows, p.report_format)
    return ToolResult(
        rows_in=len(loaded.entries),
        rows_out=len(rows),
        output_files=[report],
        summary={"terms": len(terms), "problems": len(rows)},
        warnings=loaded.warnings,
    )
