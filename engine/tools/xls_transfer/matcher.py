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
from itertools import compress, repeat
from operator import attrgetter, eq, not_
from typing import NamedTuple, Protocol

from engine.formats import Entry
from engine.text.fuzzy import FuzzyIndex
from engine.text.normalize import normalize
from engine.text.tags import carry_tags, missing_tags

EXACT, FUZZY, LINES = "exact", "fuzzy", "lines"


# Texts matched per batch (and the progress step): fuzzy search works on whole batches.
_BATCH = 1000


class Match(NamedTuple):
    translation: str
    how: str  # EXACT, FUZZY or LINES
    score: float  # 1.0 for exact; the lowest line score for LINES
    missing_tags: list[str]


class BestMatch(Protocol):
    """What a fuzzy index offers (:class:`FuzzyIndex`)."""

    def best_many(
        self,
        queries: Iterable[str],
        threshold: float,
        progress: Callable[[int], None] | None = None,
        limit: int | None = None,
    ) -> list[tuple[int, float] | None]: ...


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

    def find_many(
        self, keys: list[str], threshold: float, lines: bool
    ) -> list[tuple[str, str, float] | None]:
        """(translation, matched key, score) for each normalised text or line."""
        limit = self.lines if lines else len(self.keys)
        out: list[tuple[str, str, float] | None] = [None] * len(keys)
        todo: list[int] = []
        exact = self.exact.get
        for n, key in enumerate(keys):
            i = exact(key)
            if i is not None and i < limit:
                out[n] = (self.translations[i], key, 1.0)
            else:
                todo.append(n)
        if not todo or threshold >= 1.0 or not limit:
            return out
        if self._fuzzy is None:
            self._fuzzy = self._index(self.keys)
        found = self._fuzzy.best_many([keys[n] for n in todo], threshold, limit=limit)
        for n, hit in zip(todo, found, strict=True):
            if hit is not None:
                out[n] = (self.translations[hit[0]], self.keys[hit[0]], hit[1])
        return out


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

    def match(self, text: str) -> Match | None:
        return self._match_batch([text])[0]

    def match_many(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[Match | None]:
        """:meth:`match` for each text (repeated texts matched once); ``progress(done, total)``
        every 1000 texts."""
        seen: dict[str, Match | None] = {}
        out: list[Match | None] = []
        total = len(texts)
        for start in range(0, total, _BATCH):
            chunk = texts[start : start + _BATCH]
            new = [text for text in dict.fromkeys(chunk) if text not in seen]
            seen.update(zip(new, self._match_batch(new), strict=True))
            out += map(seen.__getitem__, chunk)
            if progress is not None and start + _BATCH <= total:
                progress(start + _BATCH, total)
        return out

    def _match_batch(self, texts: list[str]) -> list[Match | None]:
        keys = list(map(normalize, texts))
        out: list[Match | None] = [None] * len(keys)
        known = self._exact.get
        todo = []
        for n, key in enumerate(keys):
            if key:
                out[n] = known(key)
                if out[n] is None:
                    todo.append(n)
        found = self._table.find_many([keys[n] for n in todo], self.threshold, lines=False)
        by_lines = []
        for n, hit in zip(todo, found, strict=True):
            key = keys[n]
            if hit is None:
                if "\n" in key:
                    by_lines.append(n)
            elif hit[2] >= 1.0:
                match = Match(hit[0], EXACT, 1.0, missing_tags(key, hit[0]))
                out[n] = self._exact.setdefault(key, match)
            else:
                translation = carry_tags(hit[0], hit[1], key)
                out[n] = Match(translation, FUZZY, hit[2], missing_tags(key, translation))
        if by_lines:
            self._match_lines(keys, by_lines, out)
        return out

    def _match_lines(self, keys: list[str], todo: list[int], out: list[Match | None]) -> None:
        """Line by line for the texts ``todo``: every line exactly or else fuzzily among the split
        pairs; a text matches only when all its lines do."""
        lines = list(dict.fromkeys(line for n in todo for line in keys[n].split("\n") if line))
        found = dict(
            zip(lines, self._table.find_many(lines, self.threshold, lines=True), strict=True)
        )
        for n in todo:
            parts, worst = [], 1.0
            for line in keys[n].split("\n"):
                hit = found.get(line) if line else ("", line, 1.0)
                if hit is None:
                    break
                translation, matched, score = hit
                if score < 1.0:
                    translation = carry_tags(translation, matched, line)
                parts.append(translation)
                worst = min(worst, score)
            else:
                translation = "\n".join(parts)
                out[n] = Match(translation, LINES, worst, missing_tags(keys[n], translation))
