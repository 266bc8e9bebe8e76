"""Groups of similar source strings.

Similarity is :class:`engine.text.fuzzy.FuzzyIndex`'s score (rapidfuzz ``ratio`` / 100) between
normalised sources. The index's candidate filter hands each text only the few texts that could
reach the threshold, so 10,000 strings take seconds instead of fifty million comparisons. Two texts
scoring at least ``threshold`` are linked, and a group is a connected set of at least two distinct
texts (identical sources alone are the line check's business) with every entry holding them.

A **category** says where a string belongs: ``file`` is the file it was read from (inputs only);
``string_id_prefix`` is its StringID up to the first ``category_separator`` (the whole id when there
is none). With ``across_categories_only``, a link counts only when the two texts occur in different
categories, so the groups show the same wording reused across files or id families.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from rapidfuzz import fuzz

from engine.errors import ToolFailed
from engine.text.batches import batches
from engine.text.fuzzy import FuzzyIndex
from engine.text.normalize import normalize
from engine.tools.base import ToolCall, ToolResult
from engine.tools.entries import Loaded, SourceParams, load_entries
from engine.tools.reports import report_path, write_report

Category = Literal["none", "file", "string_id_prefix"]


class GroupParams(SourceParams):
    threshold: float = Field(0.85, ge=0.5, le=1.0, description="Least similarity (0.5 to 1).")
    min_length: int = Field(10, ge=1, description="Shortest source considered, in characters.")
    category: Category = Field("none", description="none, file or string_id_prefix.")
    category_separator: str = Field("_", min_length=1, description="Ends a StringID prefix.")
    across_categories_only: bool = Field(
        False, description="Link only strings of different categories."
    )


def category_of(loaded: Loaded, i: int, p: GroupParams) -> str:
    if p.category == "file":
        return loaded.files[i]
    if p.category == "string_id_prefix":
        return loaded.entries[i].string_id.split(p.category_separator, 1)[0]
    return ""


def _find(parent: list[int], x: int) -> int:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _link(
    texts: list[str], cats: list[set[str]], p: GroupParams, call: ToolCall[GroupParams]
) -> list[int]:
    """Union-find parents of the distinct texts after linking every similar pair."""
    parent = list(range(len(texts)))
    index = FuzzyIndex(texts)

    def compared(done: int, total: int) -> None:
        call.progress(done, total, "comparing")

    for start, chunk in batches(texts, compared):
        found, others, _ = index.matches(chunk, p.threshold)
        # Each pair is found from both ends: link it once, from its lower index.
        mine = found + start
        later = others > mine
        for i, j in zip(mine[later].tolist(), others[later].tolist(), strict=True):
            if p.across_categories_only and len(cats[i] | cats[j]) < 2:
                continue
            parent[_find(parent, i)] = _find(parent, j)
    return parent


def find_groups(call: ToolCall[GroupParams]) -> ToolResult:
    p = call.params
    loaded = load_entries(call)
    if p.category == "file" and p.dictionary:
        raise ToolFailed("category 'file' needs input files, not a stored dictionary")
    members: dict[str, list[int]] = {}
    for i, entry in enumerate(loaded.entries):
        key = normalize(entry.source)
        if len(key) >= p.min_length:
            members.setdefault(key, []).append(i)
    texts = list(members)
    cats = [{category_of(loaded, i, p) for i in members[t]} for t in texts]
    parent = _link(texts, cats, p, call)
    components: dict[int, list[int]] = {}
    for t in range(len(texts)):
        components.setdefault(_find(parent, t), []).append(t)
    groups = [c for c in components.values() if len(c) >= 2]
    if p.across_categories_only:
        groups = [g for g in groups if len(set().union(*(cats[t] for t in g))) >= 2]
    groups.sort(key=lambda g: g[0])
    rows = []
    for number, group in enumerate(groups, 1):
        head = texts[group[0]]
        for t in group:
            score = round(fuzz.ratio(head, texts[t]) / 100, 3)
            for i in members[texts[t]]:
                entry = loaded.entries[i]
                category = category_of(loaded, i, p)
                rows.append(
                    (number, score, category, entry.string_id, entry.source, entry.translation)
                )
    report = report_path(call, "similar_groups")
    header = ["group", "similarity_to_first", "category", "string_id", "source", "translation"]
    write_report(report, header, rows, p.report_format)
    return ToolResult(
        rows_in=len(loaded.entries),
        rows_out=len(rows),
        output_files=[report],
        summary={
            "texts_compared": len(texts),
            "groups": len(groups),
            "strings_in_groups": len(rows),
            "largest_group": max((len(g) for g in groups), default=0),
        },
        warnings=loaded.warnings,
    )
