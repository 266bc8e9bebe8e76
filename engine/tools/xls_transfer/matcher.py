"""Finding a translation for a text in an XLS Transfer dictionary.

Order of attempts for one text (all on normalised text, see :mod:`engine.text.normalize`):

1. the whole text, exactly, among every entry (split lines first, then whole pairs);
2. the whole text, fuzzily (score >= threshold), among the same entries;
3. line by line, each line exactly or else fuzzily among the split pairs; this succeeds only when
   every line finds a translation, and the translated lines are joined with ``\\n``.

After a fuzzy match the dictionary translation's code tags are rewritten to the target's (see
:func:`engine.text.tags.carry_tags`); tags the result still lacks are reported with the match.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, eq, not_
from typing import Protocol

from engine.formats import Entry
from engine.text.fuzzy import FuzzyIndex
from engine.text.normalize import normalize
from engine.text.tags import carry_tags, missing_tags

EXACT, FUZZY, LINES = "exact", "fuzzy", "lines"


@dataclass(frozen=True)
class Match:
    translation: str
    how: str  # EXACT, FUZZY or LINES
    score: float  # 1.0 for exact; the lowest line score for LINES
    missing_tags: list[str] = field(default_factory=list)


class BestMatch(Protocol):
    """What a fuzzy index offers (:class:`FuzzyIndex`; the benchmark's naive scan too)."""

    def best(
        self, query: str, threshold: float, limit: int | None = None
    ) -> tuple[int, float] | None: ...


class _Table:
    """Normalised sources -> translations. The first ``lines`` keys come from split pairs and
    serve line-by-line matching; all keys serve whole-text matching. One fuzzy index, built on
    first fuzzy use, serves both."""

    def __init__(
        self,
        split: Iterable[tuple[str, str]],
        whole: Iterable[tuple[str, str]],
        index: Callable[[list[str]], BestMatch],
    ) -> None:
        self._index = index
        split_pairs = [(k, t) for k, t in split if k]
        pairs = split_pairs + [(k, t) for k, t in whole if k]
        keys = [k for k, _ in pairs]
        # The first of equal sources wins: filled from the end, earlier indexes overwrite.
        first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
        self.keys: list[str] = list(dict.fromkeys(keys))
        self.translations: list[str] = [pairs[first[k]][1] for k in self.keys]
        self.exact: dict[str, int] = dict(zip(self.keys, range(len(self.keys)), strict=True))
        self.lines = len(dict.fromkeys(k for k, _ in split_pairs))
        self._fuzzy: BestMatch | None = None

    def find(self, key: str, threshold: float, lines: bool) -> tuple[str, str, float] | None:
        """(translation, matched key, score) for a normalised text or line."""
        limit = self.lines if lines else len(self.keys)
        i = self.exact.get(key)
        if i is not None and i < limit:
            return self.translations[i], key, 1.0
        if threshold >= 1.0 or not limit:
            return None
        if self._fuzzy is None:
            self._fuzzy = self._index(self.keys)
        hit = self._fuzzy.best(key, threshold, limit)
        if hit is None:
            return None
        return self.translations[hit[0]], self.keys[hit[0]], hit[1]


class Matcher:
    """Translations for texts from one dictionary at one threshold (0.80 .. 1.00)."""

    def __init__(
        self,
        entries: Sequence[Entry],
        threshold: float,
        index: Callable[[list[str]], BestMatch] = FuzzyIndex,
    ) -> None:
        # One pass in C loops: normalised sources, translations, and which entries are split.
        pairs = list(
            zip(
                map(normalize, map(attrgetter("source"), entries)),
                map(attrgetter("translation"), entries),
                strict=True,
            )
        )
        is_split = list(map(eq, map(attrgetter("string_id"), entries), repeat("split")))
        whole = list(compress(pairs, map(not_, is_split)))
        split = list(compress(pairs, is_split))
        self.threshold = threshold
        self._table = _Table(split, whole, index)
        # An exact whole-text match depends only on the entry: build its Match once.
        self._exact: dict[str, Match] = {}

    def _fix(self, translation: str, matched: str, target: str, score: float) -> str:
        return translation if score >= 1.0 else carry_tags(translation, matched, target)

    def match(self, text: str) -> Match | None:
        key = normalize(text)
        if not key:
            return None
        known = self._exact.get(key)
        if known is not None:
            return known
        hit = self._table.find(key, self.threshold, lines=False)
        if hit is not None:
            translation = self._fix(hit[0], hit[1], key, hit[2])
            if hit[2] >= 1.0:
                return self._exact.setdefault(
                    key, Match(translation, EXACT, 1.0, missing_tags(key, translation))
                )
            return Match(translation, FUZZY, hit[2], missing_tags(key, translation))
        lines = key.split("\n")
        if len(lines) < 2:
            return None
        out, worst = [], 1.0
        for line in lines:
            if not line:
                out.append("")
                continue
            found = self._table.find(line, self.threshold, lines=True)
            if found is None:
                return None
            out.append(self._fix(found[0], found[1], line, found[2]))
            worst = min(worst, found[2])
        translation = "\n".join(out)
        return Match(translation, LINES, worst, missing_tags(key, translation))

    def match_many(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[Match | None]:
        """:meth:`match` for each text (repeated texts matched once); ``progress(done, total)``
        every 1000 texts."""
        seen: dict[str, Match | None] = {}
        out: list[Match | None] = []
        total = len(texts)
        match = self.match
        for start in range(0, total, 1000):
            chunk = texts[start : start + 1000]
            for text in dict.fromkeys(chunk):
                if text not in seen:
                    seen[text] = match(text)
            out += map(seen.__getitem__, chunk)
            if progress is not None and start + 1000 <= total:
                progress(start + 1000, total)
        return out
