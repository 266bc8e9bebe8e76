"""A character-level fuzzy index: the best match of a text among many, fast.

Scoring is rapidfuzz's ``fuzz.ratio`` divided by 100 (``2 * LCS / (la + lb)`` on characters, so it
works for Korean syllables as well as for Latin words). :meth:`FuzzyIndex.best` returns exactly
what ``process.extractOne(query, sources, scorer=fuzz.ratio, score_cutoff=threshold * 100)``
returns over the whole list, ties going to the lowest index, but scores only a few candidates.

Candidates come from two filters that never drop a qualifying match (``t`` is the threshold):

* **Length.** ``ratio >= t`` needs ``2 * min(la, lb) >= t * (la + lb)``, so ``lb`` lies within
  ``[la * t / (2 - t), la * (2 - t) / t]``.
* **Prefix filtering on character bigrams.** Align the two texts along an LCS of length ``L``.
  A bigram of ``a`` survives in ``b`` unless one of its characters is unaligned (each of the
  ``la - L`` unaligned characters breaks at most two) or an unaligned character of ``b`` sits
  between its two aligned partners (each of the ``lb - L`` breaks at most one). So the bigram
  multisets share at least ``3L - la - lb - 1 >= (1.5t - 1)(la + lb) - 1`` bigrams, which, over the
  length window, is at least ``alpha(l) = (1.5t - 1) * 2l / (2 - t) - 1`` for either length ``l``.
  With every bigram (the k-th occurrence of a bigram is its own token) ordered by rarity in the
  dictionary, two texts sharing ``alpha`` tokens share one among the first ``n - alpha + 1`` of
  each (``n = l - 1`` bigrams). The index keeps only those prefixes and a query looks up only its
  own. Requiring two shared tokens instead of one (they lie among the first ``n - alpha + 2``)
  prunes far more, so the index keeps that slightly longer prefix and a candidate needs two hits.
  Texts too short for the bound (``alpha < 1``) are always candidates.

Postings are sorted by text length, so the length window is one slice of each. The index is built
per threshold on first use (a lower threshold needs longer prefixes).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, repeat
from operator import add, itemgetter

from rapidfuzz import fuzz, process

# Bounds are loosened by this much so float rounding in rapidfuzz never makes a filter too strict.
_SLACK = 1e-9
# Shared prefix tokens a candidate needs (fewer when a text is too short to guarantee them).
_HITS = 2


def _bigrams(text: str) -> list[str]:
    """The bigram tokens of ``text``: the k-th occurrence of a bigram is the bigram + chr(k)."""
    grams = list(map(add, text, text[1:]))
    tokens = list(dict.fromkeys(grams))
    if len(tokens) < len(grams):
        counts = Counter(grams)
        tokens += [g + chr(k) for g, n in counts.items() if n > 1 for k in range(2, n + 1)]
    return tokens


def _plan(length: int, threshold: float) -> tuple[int, int]:
    """(prefix length, hits needed) for a text of ``length``; (0, 0) when it is too short to be
    filtered and must always be a candidate."""
    alpha = math.ceil((1.5 * threshold - 1) * 2 * length / (2 - threshold) - 1 - _SLACK)
    if alpha < 1:
        return 0, 0
    hits = min(_HITS, alpha)
    return length - 1 - alpha + hits, hits


def _window(length: int, threshold: float) -> tuple[int, int]:
    lo = math.ceil(length * threshold / (2 - threshold) - _SLACK)
    hi = math.floor(length * (2 - threshold) / threshold + _SLACK)
    return lo, hi


class _Postings:
    """The prefix index at one threshold: token rank -> (ids sorted by length, their lengths);
    the hits each id needs (``one_hit``: the ids needing one); the ids too short to index, sorted
    by length."""

    def __init__(self, lengths: list[int], ranked: list[list[int]], threshold: float) -> None:
        ids: dict[int, list[int]] = {}
        self.need = [0] * len(lengths)
        self.short: list[int] = []
        for i in sorted(range(len(lengths)), key=lengths.__getitem__):
            prefix, self.need[i] = _plan(lengths[i], threshold)
            if prefix == 0:
                self.short.append(i)
                continue
            for rank in ranked[i][:prefix]:
                ids.setdefault(rank, []).append(i)
        # One lookup per token: (ids, their lengths).
        self.postings = {r: (idl, [lengths[i] for i in idl]) for r, idl in ids.items()}
        self.short_lengths = [lengths[i] for i in self.short]
        self.one_hit = {i for i, n in enumerate(self.need) if n == 1}


class FuzzyIndex:
    """Best fuzzy match of a query among ``sources`` (see the module docstring)."""

    def __init__(self, sources: Sequence[str]) -> None:
        self._sources = list(sources)
        self._exact: dict[str, int] = {}
        for i, s in enumerate(self._sources):
            self._exact.setdefault(s, i)
        self._lengths = [len(s) for s in self._sources]
        token_lists = [_bigrams(s) for s in self._sources]
        # Global order: rarest token first, ties by first appearance, as one int rank per token.
        frequency = Counter(chain.from_iterable(token_lists))
        self._rank = {t: r for r, t in enumerate(sorted(frequency, key=frequency.__getitem__))}
        rank = self._rank.__getitem__
        self._ranked = [sorted(map(rank, tokens)) for tokens in token_lists]
        self._postings: dict[float, _Postings] = {}
        self._by_length = sorted(range(len(self._lengths)), key=self._lengths.__getitem__)
        self._sorted_lengths = [self._lengths[i] for i in self._by_length]

    def __len__(self) -> int:
        return len(self._sources)

    def _index_for(self, threshold: float) -> _Postings:
        postings = self._postings.get(threshold)
        if postings is None:
            postings = _Postings(self._lengths, self._ranked, threshold)
            self._postings[threshold] = postings
        return postings

    def candidates(self, query: str, threshold: float) -> list[int]:
        """Ids that may score ``>= threshold`` against ``query``, ascending."""
        la = len(query)
        if la == 0:
            return []
        lo, hi = _window(la, threshold)
        postings = self._index_for(threshold)
        found = set(
            postings.short[
                bisect_left(postings.short_lengths, lo) : bisect_right(postings.short_lengths, hi)
            ]
        )
        prefix, hits = _plan(la, threshold)
        if prefix == 0:
            # Too short to filter by bigrams: every text in the length window is a candidate.
            lengths = self._sorted_lengths
            found.update(self._by_length[bisect_left(lengths, lo) : bisect_right(lengths, hi)])
            return sorted(found)
        # Tokens the dictionary lacks rank first (-1): they take prefix places but find nothing.
        get = postings.postings.get
        once: set[int] = set()
        twice: set[int] = set()
        for r in sorted(map(self._rank.get, _bigrams(query), repeat(-1)))[:prefix]:
            posting = get(r)
            if posting is not None:
                ids, lengths = posting
                hit = ids[bisect_left(lengths, lo) : bisect_right(lengths, hi)]
                # An id occurs at most once per posting, so a second sighting is a second hit.
                twice.update(once.intersection(hit))
                once.update(hit)
        found.update(twice if hits > 1 else once)
        if hits > 1:
            found.update(postings.one_hit.intersection(once))
        return sorted(found)

    def best(
        self, query: str, threshold: float, limit: int | None = None
    ) -> tuple[int, float] | None:
        """``(index, score)`` of the best source scoring at least ``threshold`` (0..1), or None.
        With ``limit``, only ``sources[:limit]`` are searched (one index can serve a list and
        its prefix)."""
        exact = self._exact.get(query)
        if exact is not None and (limit is None or exact < limit):
            return exact, 1.0
        if threshold >= 1.0:
            return None
        ids = self.candidates(query, threshold)
        if limit is not None:
            ids = ids[: bisect_left(ids, limit)]
        if not ids:
            return None
        hit = process.extractOne(
            query,
            [self._sources[i] for i in ids] if len(ids) == 1 else itemgetter(*ids)(self._sources),
            scorer=fuzz.ratio,
            score_cutoff=threshold * 100,
        )
        if hit is None:
            return None
        return ids[hit[2]], hit[1] / 100

    def best_many(
        self,
        queries: Iterable[str],
        threshold: float,
        progress: Callable[[int], None] | None = None,
    ) -> list[tuple[int, float] | None]:
        """:meth:`best` for each query; repeated queries are matched once. ``progress(done)`` is
        called every 1000 queries."""
        seen: dict[str, tuple[int, float] | None] = {}
        out: list[tuple[int, float] | None] = []
        for n, query in enumerate(queries, 1):
            if query in seen:
                out.append(seen[query])
            else:
                out.append(seen.setdefault(query, self.best(query, threshold)))
            if progress is not None and n % 1000 == 0:
                progress(n)
        return out
