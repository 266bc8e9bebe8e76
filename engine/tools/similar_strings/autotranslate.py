"""Auto-translate: fill untranslated strings from the most similar translated one.

Every entry with a source and no translation is matched (normalised source against normalised
source, :class:`engine.text.fuzzy.FuzzyIndex`) to the translated entries; the best one scoring at
least ``threshold`` gives its translation. That translation is then fitted to the new source:

* its code tags are renamed to the new source's (``{0}`` -> ``{1}``) when they pair up one to one
  (:func:`engine.text.tags.carry_tags`);
* its line structure follows the new source's: the same number of lines, written with the line
  break the source uses (``<br/>`` or a newline). When the line counts differ, the words (or, for
  text without spaces, the characters) are laid out again over as many lines as the source has,
  each line taking a share proportional to the length of the source's line.

A fitted translation whose placeholders (every syntax, :mod:`engine.text.placeholders`) differ
from its new source's is not filled: it stays in the report, marked, for a translator to review.

The result is every entry (filled ones included) as a LocStr XML file, and a report naming, for
each match, the string its translation came from, the score, the differences between the two
sources, whether it was filled (or why not), and the other translations the same donor source has
(several strings may share a source, each translated its own way: the first one read is used).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from engine.formats import Entry, locstr_xml
from engine.text.diff import differences
from engine.text.fuzzy import FuzzyIndex
from engine.text.normalize import normalize, unify_newlines
from engine.text.placeholders import compare
from engine.text.tags import carry_tags, protect, restore
from engine.tools.base import ToolCall, ToolResult
from engine.tools.entries import SourceParams, load_entries
from engine.tools.reports import dated_path, report_path, write_report


class AutoTranslateParams(SourceParams):
    threshold: float = Field(0.8, ge=0.5, le=1.0, description="Least similarity (0.5 to 1).")
    min_length: int = Field(2, ge=1, description="Shortest source filled, in characters.")
    output: Path | None = Field(
        None, description="LocStr XML file for all entries (default: a new file under reports/)."
    )


def _line_break(source: str) -> str:
    return "\n" if "\n" in source and "<br" not in source.lower() else locstr_xml.LINE_BREAK


def _layout(units: list[str], joiner: str, weights: list[int]) -> list[str]:
    """Spread ``units`` (at least one per line) over ``len(weights)`` lines in proportion to
    ``weights``, in order."""
    total_weight = sum(weights)
    total = sum(len(u) + len(joiner) for u in units)
    lines: list[list[str]] = [[] for _ in weights]
    line, position = 0, 0
    bound = weights[0] / total_weight * total
    last = len(weights) - 1
    for n, unit in enumerate(units):
        middle = position + len(unit) / 2
        # Move on past the share of this line, or when every later line needs a unit left; a
        # line is never left empty.
        while line < last and lines[line] and (middle > bound or len(units) - n <= last - line):
            line += 1
            bound += weights[line] / total_weight * total
        lines[line].append(unit)
        position += len(unit) + len(joiner)
    return [joiner.join(parts) for parts in lines]


def adapt_lines(translation: str, source: str) -> str:
    """``translation`` laid out on as many lines as ``source``, with the source's line break."""
    break_text = _line_break(source)
    source_lines = unify_newlines(source).split("\n")
    # Line breaks first: protect() would hide a <br/> as a tag.
    masked, tags = protect(unify_newlines(translation))
    lines = masked.split("\n")
    if len(lines) != len(source_lines):
        flat = " ".join(line.strip() for line in lines if line.strip())
        units, joiner = flat.split(), " "
        if len(units) < len(source_lines):
            units, joiner = list(flat.replace(" ", "")), ""
        weights = [max(len(line.strip()), 1) for line in source_lines]
        lines = _layout(units, joiner, weights) if units else [""] * len(source_lines)
    return restore(break_text.join(lines), tags)


def _output_path(call: ToolCall[AutoTranslateParams], p: AutoTranslateParams) -> Path:
    return p.output or dated_path(call.data_dir, "auto_translate", "xml")


def auto_translate(call: ToolCall[AutoTranslateParams]) -> ToolResult:
    p = call.params
    loaded = load_entries(call)
    entries = loaded.entries
    # Normalised source -> the translated entries holding it, in the order read.
    donors: dict[str, list[int]] = {}
    todo: list[int] = []
    for i, entry in enumerate(entries):
        key = normalize(entry.source)
        if entry.translation.strip():
            donors.setdefault(key, []).append(i)
        elif len(key) >= p.min_length:
            todo.append(i)
    donor_keys = list(donors)
    index = FuzzyIndex(donor_keys)
    queries = [normalize(entries[i].source) for i in todo]
    found = index.best_many(
        queries, p.threshold, lambda done, total: call.progress(done, total, "matching")
    )
    rows = []
    filled = list(entries)
    held = 0
    for i, hit in zip(todo, found, strict=True):
        if hit is None:
            continue
        holders = donors[donor_keys[hit[0]]]
        target, donor = entries[i], entries[holders[0]]
        text = carry_tags(donor.translation, donor.source, target.source)
        text = adapt_lines(text, target.source)
        missing, extra = compare(target.source, text)
        problem = ""
        if missing or extra:
            problem = (
                f"placeholders differ (missing: {' '.join(missing) or 'none'}; "
                f"extra: {' '.join(extra) or 'none'})"
            )
            held += 1
        else:
            filled[i] = Entry(target.string_id, target.source, text)
        others = dict.fromkeys(entries[d].translation for d in holders[1:])
        others.pop(donor.translation, None)
        rows.append(
            (
                target.string_id,
                target.source,
                text,
                donor.string_id,
                donor.source,
                donor.translation,
                round(hit[1], 3),
                differences(normalize(donor.source), normalize(target.source)),
                "no" if problem else "yes",
                problem,
                " | ".join(others),
            )
        )
    output = _output_path(call, p)
    report = report_path(call, "auto_translate")
    header = [
        "string_id",
        "source",
        "filled_translation",
        "from_string_id",
        "from_source",
        "from_translation",
        "score",
        "differences",
        "filled",
        "problem",
        "alternatives",
    ]
    write_report(report, header, rows, p.report_format)
    locstr_xml.write(output, filled)
    return ToolResult(
        rows_in=len(entries),
        rows_out=len(rows) - held,
        output_files=[output, report],
        summary={
            "untranslated": len(todo),
            "filled": len(rows) - held,
            "held_for_review": held,
            "left": len(todo) - len(rows) + held,
        },
        warnings=loaded.warnings,
    )
