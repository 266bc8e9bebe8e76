"""Quick Search: find entries of a dictionary by source, translation or StringID.

``contains`` finds every entry whose field holds a query (all queries of a multi-line search are
matched in one pass with an Aho-Corasick automaton); ``exact`` compares whole texts after
:func:`engine.text.normalize.normalize` (StringIDs as they are) through dicts, so an exact StringID
lookup costs one dict probe. A ``reference`` dictionary (say, another language of the same game)
is joined by StringID and shown beside each hit. All hits go to the report; the summary carries one
page of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import ahocorasick
from pydantic import Field

from engine.errors import ToolFailed
from engine.formats import Entry
from engine.text.normalize import normalize
from engine.tools.base import ToolCall, ToolResult
from engine.tools.entries import load_dictionary
from engine.tools.reports import ReportParams, report_path, write_report

SearchField = Literal["source", "translation", "string_id"]


class SearchParams(ReportParams):
    dictionary: str = Field(..., description="The dictionary to search.")
    query: str = Field(..., min_length=1, description="What to look for.")
    mode: Literal["contains", "exact"] = Field("contains", description="contains or exact.")
    multi_line: bool = Field(False, description="Search each line of the query on its own.")
    fields: list[SearchField] = Field(
        ["source", "translation", "string_id"], min_length=1, description="Fields to search."
    )
    ignore_case: bool = Field(True, description="Ignore letter case.")
    reference: str | None = Field(
        None, description="A second dictionary shown beside each hit, joined by StringID."
    )
    page: int = Field(1, ge=1, description="Page of results in the summary (from 1).")
    page_size: int = Field(50, ge=1, le=1000, description="Results per page.")


def _queries(p: SearchParams) -> list[str]:
    lines = p.query.splitlines() if p.multi_line else [p.query]
    queries = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not queries:
        raise ToolFailed("the query is blank")
    return queries


def _key_fn(p: SearchParams, field: SearchField) -> Callable[[str], str]:
    if field == "string_id":
        return str.casefold if p.ignore_case else str
    if p.ignore_case:
        return lambda text: normalize(text).casefold()
    return normalize


def _exact(entries: list[Entry], queries: list[str], p: SearchParams) -> list[tuple[int, int]]:
    hits: set[tuple[int, int]] = set()
    for field in p.fields:
        key = _key_fn(p, field)
        index: dict[str, list[int]] = {}
        for i, entry in enumerate(entries):
            index.setdefault(key(getattr(entry, field)), []).append(i)
        for q, query in enumerate(queries):
            hits.update((q, i) for i in index.get(key(query), ()))
    return sorted(hits)


def _contains(entries: list[Entry], queries: list[str], p: SearchParams) -> list[tuple[int, int]]:
    fold = str.casefold if p.ignore_case else str
    automaton = ahocorasick.Automaton()
    for q, query in enumerate(queries):
        automaton.add_word(fold(query), q)
    automaton.make_automaton()
    hits: set[tuple[int, int]] = set()
    for i, entry in enumerate(entries):
        for field in p.fields:
            text = getattr(entry, field)
            if text:
                hits.update((q, i) for _end, q in automaton.iter(fold(text)))
    return sorted(hits)


def run(call: ToolCall[SearchParams]) -> ToolResult:
    p = call.params
    queries = _queries(p)
    call.progress(0, None, "loading dictionary")
    entries = load_dictionary(call, p.dictionary)
    reference: dict[str, Entry] = {}
    if p.reference:
        for entry in load_dictionary(call, p.reference):
            reference.setdefault(entry.string_id, entry)
    call.progress(0, None, "searching")
    hits = (_exact if p.mode == "exact" else _contains)(entries, queries, p)

    header = ["query", "string_id", "source", "translation"]
    if p.reference:
        header += ["reference_source", "reference_translation"]

    def row(q: int, i: int) -> list[str]:
        entry = entries[i]
        values = [queries[q], entry.string_id, entry.source, entry.translation]
        if p.reference:
            ref = reference.get(entry.string_id)
            values += [ref.source, ref.translation] if ref else ["", ""]
        return values

    report = report_path(call, "search")
    write_report(report, header, (row(q, i) for q, i in hits), p.report_format)
    start = (p.page - 1) * p.page_size
    page = [dict(zip(header, row(q, i), strict=True)) for q, i in hits[start : start + p.page_size]]
    return ToolResult(
        rows_in=len(entries),
        rows_out=len(hits),
        output_files=[report],
        summary={
            "dictionary": p.dictionary,
            "reference": p.reference,
            "queries": len(queries),
            "total": len(hits),
            "page": p.page,
            "page_size": p.page_size,
            "pages": math.ceil(len(hits) / p.page_size),
            "results": page,
        },
    )
