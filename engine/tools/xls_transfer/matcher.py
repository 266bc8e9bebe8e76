"""Finding a translation for a text in an XLS Transfer dictionary.

Order of attempts for one text (all on normalised text, see :mod:`engine.text.normalize`):

1. the whole text, exactly, among every entry (split lines first, then whole pairs);
2. the whole text, fuzzily (score >= threshold), among the same entries;
3. line by line, each line exactly or else fuzzily among the split pairs; this succeeds only when
   every line finds a translation, and the translated lines are joined with ``\\n``.

After a fuzzy match the dictionary translation's code tags are rewritten to the target's (see
:func:`engine.text.tags.carry_tags`). Every match then has its placeholders checked against the
target's (:func:`engine.text.placeholders.compare`, every syntax): the ones it lacks and the ones
it has in excess go with it, for the transfer to hold back. A match also names the dictionary
source it came from and the other translations that source has (alternatives), so a reviewer sees
what was matched and what was chosen.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate, compress, repeat
from operator import attrgetter, eq, ne, not_
from typing import NamedTuple

from engine.formats import Entry
from engine.gc_pause import gc_paused
from engine.text.batches import Progress, map_distinct
from engine.text.fuzzy import FuzzyIndex
from engine.text.normalize import normalize
from engine.text.placeholders import compare
from engine.text.tags import carry_tags
from engine.tools.xls_transfer.dictionary import SPLIT

EXACT, FUZZY, LINES = "exact", "fuzzy", "lines"


class Match(NamedTuple):
    translation: str
    how: str  # EXACT, FUZZY or LINES
    score: float  # 1.0 for exact; the lowest line score for LINES
    # Placeholders of the target text the translation lacks (every syntax, not only code tags).
    missing_tags: list[str]
    # Placeholders the translation has that the target text does not.
    extra_placeholders: list[str]
    # The dictionary source (normalised) matched; for LINES its lines, joined with "\n".
    matched: str
    # The other translations of that source (whole-text matches only).
    alternatives: tuple[str, ...]

    @property
    def placeholders_differ(self) -> bool:
        return bool(self.missing_tags or self.extra_placeholders)


# Match(...) runs a Python-level __new__; the exact path makes tens of thousands, so it calls
# tuple.__new__ itself.
_new_match = tuple.__new__


class _Table:
    """Normalised sources -> translations, split pairs before whole pairs (the first of equal
    sources wins). Split sources serve line-by-line matching; all serve whole-text matching.
    The fuzzy side (distinct keys in order, one index for both uses) is built on first use."""

    def __init__(
        self,
        keys: list[str],
        translations: list[str],
        split: list[bool],
        differing: Sequence[int] | None = None,
    ) -> None:
        whole = list(map(not_, split))
        self.keys = list(compress(keys, split)) + list(compress(keys, whole))
        # The places whose translation's placeholders differ from their own source's (None: not
        # known, check each exact match).
        self.differ: set[int] | None = None if differing is None else set()
        if differing:
            # Entry i's place: its rank among the split entries, or after them among the whole.
            splits_before = list(accumulate(split, initial=0))
            total = splits_before[-1]
            self.differ = {
                splits_before[i] if split[i] else total + i - splits_before[i] for i in differing
            }
        self.translations = list(compress(translations, split)) + list(
            compress(translations, whole)
        )
        self.split = sum(split)
        # Key -> its first place in that order (filled from the end: earlier places overwrite).
        self.first = dict(zip(reversed(self.keys), range(len(self.keys) - 1, -1, -1), strict=True))
        self.first.pop("", None)
        # First place of a key -> the other translations of that key (only for repeated keys).
        self.others: dict[int, tuple[str, ...]] = {}
        if len(self.first) < len(self.keys):
            self._find_alternatives()
        self._fuzzy: tuple[FuzzyIndex, list[int], int] | None = None

    def _find_alternatives(self) -> None:
        # The places that are not their key's first, found in C loops (a dictionary may have
        # hundreds of thousands of keys and few repeats).
        firsts = list(map(self.first.get, self.keys))
        later = compress(range(len(firsts)), map(ne, firsts, range(len(firsts))))
        for place in later:
            first = firsts[place]
            if first is None:  # an empty key
                continue
            translation = self.translations[place]
            others = self.others.get(first, ())
            if translation != self.translations[first] and translation not in others:
                self.others[first] = (*others, translation)

    def _fuzzy_side(self) -> tuple[FuzzyIndex, list[int], int]:
        """(index over the distinct keys in order, their places, how many are split keys)."""
        if self._fuzzy is None:
            places = sorted(self.first.values())
            index = FuzzyIndex([self.keys[p] for p in places])
            self._fuzzy = index, places, bisect_left(places, self.split)
        return self._fuzzy

    def find_many(
        self, keys: list[str], threshold: float, lines: bool
    ) -> list[tuple[int, float] | None]:
        """(place, score) of the best source for each normalised text or line: exact, else
        fuzzy; among split sources only with ``lines``."""
        limit = self.split if lines else len(self.keys)
        out: list[tuple[int, float] | None] = [None] * len(keys)
        todo: list[int] = []
        for n, place in enumerate(map(self.first.get, keys)):
            if place is not None and place < limit:
                out[n] = (place, 1.0)
            else:
                todo.append(n)
        if not todo or threshold >= 1.0 or not limit:
            return out
        index, places, split_keys = self._fuzzy_side()
        found = index.best_many(
            [keys[n] for n in todo], threshold, limit=split_keys if lines else None
        )
        for n, hit in zip(todo, found, strict=True):
            if hit is not None:
                out[n] = (places[hit[0]], hit[1])
        return out


class Matcher:
    """Translations for texts from one dictionary at one threshold (0.80 .. 1.00).

    ``normalized``: the entries' sources are normalised already (dictionaries built by
    :func:`~engine.tools.xls_transfer.dictionary.build_dictionary` store them so).
    ``differing``: the indices of the entries whose translation's placeholders differ from their
    source's, as the build found them (see
    :func:`~engine.tools.xls_transfer.dictionary.placeholder_mismatches`): an exact match is then
    checked only there, since its target text is that source. None: every exact match is checked.
    """

    def __init__(
        self,
        entries: Sequence[Entry],
        threshold: float,
        *,
        normalized: bool = False,
        differing: Sequence[int] | None = None,
    ) -> None:
        # C loops over the entries: normalised sources, translations, which are split pairs.
        with gc_paused():
            sources = map(attrgetter("source"), entries)
            self._table = _Table(
                list(sources if normalized else map(normalize, sources)),
                list(map(attrgetter("translation"), entries)),
                list(map(eq, map(attrgetter("kind"), entries), repeat(SPLIT))),
                differing,
            )
        self.threshold = threshold
        # An exact whole-text match depends only on the dictionary place: built once each.
        self._exact: list[Match | None] = [None] * len(self._table.keys)

    def match(self, text: str) -> Match | None:
        return self._match_batch([text])[0]

    def match_many(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> list[Match | None]:
        """:meth:`match` for each text, a batch at a time (repeated texts matched once);
        ``progress(done, total)`` after every full batch."""
        with gc_paused():
            return map_distinct(self._match_batch, texts, progress)

    def _match_batch(self, texts: list[str]) -> list[Match | None]:
        keys = list(map(normalize, texts))
        places = list(map(self._table.first.get, keys))
        made = self._exact
        # Whole text, exactly (the common case: kept to plain loops over local names).
        out: list[Match | None] = [None if place is None else made[place] for place in places]
        todo = []
        for n, place in enumerate(places):
            if place is None:
                if keys[n]:
                    todo.append(n)
            elif out[n] is None:
                table = self._table
                translation = table.translations[place]
                if table.differ is None or place in table.differ:
                    missing, extra = compare(keys[n], translation)
                else:
                    missing, extra = [], []
                alternatives = table.others.get(place, ()) if table.others else ()
                out[n] = made[place] = _new_match(
                    Match, (translation, EXACT, 1.0, missing, extra, keys[n], alternatives)
                )
        if self.threshold >= 1.0 and not any("\n" in keys[n] for n in todo):
            return out
        # Whole text, fuzzily; then line by line.
        found = self._table.find_many([keys[n] for n in todo], self.threshold, lines=False)
        by_lines = []
        for n, hit in zip(todo, found, strict=True):
            if hit is not None:
                translation, score = self._fitted(hit, keys[n])
                missing, extra = compare(keys[n], translation)
                place = hit[0]
                out[n] = Match(
                    translation,
                    FUZZY,
                    score,
                    missing,
                    extra,
                    self._table.keys[place],
                    self._table.others.get(place, ()),
                )
            elif "\n" in keys[n]:
                by_lines.append(n)
        if by_lines:
            self._match_lines(keys, by_lines, out)
        return out

    def _fitted(self, hit: tuple[int, float], key: str) -> tuple[str, float]:
        """The translation at a found place with its tags carried over to ``key`` when the match
        is fuzzy, and the score."""
        place, score = hit
        translation = self._table.translations[place]
        if score < 1.0:
            translation = carry_tags(translation, self._table.keys[place], key)
        return translation, score

    def _match_lines(self, keys: list[str], todo: list[int], out: list[Match | None]) -> None:
        """Line by line for the texts ``todo``: every line exactly or else fuzzily among the split
        pairs; a text matches only when all its lines do."""
        lines = list(dict.fromkeys(line for n in todo for line in keys[n].split("\n") if line))
        found = dict(
            zip(lines, self._table.find_many(lines, self.threshold, lines=True), strict=True)
        )
        for n in todo:
            parts, matched, worst = [], [], 1.0
            for line in keys[n].split("\n"):
                if not line:
                    parts.append("")
                    matched.append("")
                    continue
                hit = found[line]
                if hit is None:
                    break
                translation, score = self._fitted(hit, line)
                parts.append(translation)
                matched.append(self._table.keys[hit[0]])
                worst = min(worst, score)
            else:
                translation = "\n".join(parts)
                missing, extra = compare(keys[n], translation)
                out[n] = Match(translation, LINES, worst, missing, extra, "\n".join(matched), ())
