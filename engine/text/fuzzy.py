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
  dictionary, let ``s_1 < s_2 < ...`` be the shared tokens in that order: at least ``alpha - j`` of
  them follow ``s_j``, so ``s_j`` lies among the first ``n - alpha + j`` tokens of each text
  (``n = l - 1`` bigrams). Hence two texts share ``h`` tokens among the first ``n - alpha + h`` of
  each, for any ``h <= alpha`` (each text uses its own ``alpha`` and ``h``; a pair needs the smaller
  ``h``). The index keeps only those prefixes and a query looks up only its own; a candidate needs
  ``h`` hits, ``h = min(_HITS, alpha)``: a few more tokens to look up, far fewer candidates.
  Texts too short for the bound (``alpha < 1``) are always candidates.

Internally a text is known by its rank in length order (ties by index), so the length window is
one range of ranks, every posting list is sorted by length, and the texts needing fewer hits
(shorter ones) are a leading range. Counting hits is a sort of the concatenated posting slices:
in a sorted list, ``x`` occurs ``h`` times iff ``pool[i] == pool[i + h - 1]`` for some ``i``. The
prefix index is built per threshold on first use (a lower threshold needs longer prefixes).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, compress, repeat
from operator import add, eq, itemgetter

from rapidfuzz import fuzz, process

# Bounds are loosened by this much so float rounding in rapidfuzz never makes a filter too strict.
_SLACK = 1e-9
# Shared prefix tokens a candidate needs (fewer when a text is too short to guarantee them).
_HITS = 3
# Token offset of each further occurrence of a bigram (bigrams are 64-bit numbers).
_NEXT = 1 << 64


def _bigrams(text: str) -> list[int]:
    """The bigram tokens of ``text`` as ints: in UTF-32 a bigram is the 8 bytes at its first
    character, read as one 64-bit number; the k-th occurrence of a bigram is that number
    + (k - 1) * 2**64."""
    size = len(text)
    view = memoryview(text.encode("utf-32-le", "surrogatepass"))
    grams = view[: 8 * (size // 2)].cast("Q").tolist()
    grams += view[4 : 4 + 8 * ((size - 1) // 2)].cast("Q").tolist()
    if len(set(grams)) == len(grams):
        return grams
    # Repeats: a sorted level holds, for a bigram occurring n times, n - k + 1 copies; the
    # copies equal to their predecessor make the next level.
    level = sorted(grams)
    tokens = list(dict.fromkeys(level))
    shift = 0
    while True:
        level = list(compress(level[1:], map(eq, level[1:], level)))
        if not level:
            return tokens
        shift += _NEXT
        tokens += map(add, dict.fromkeys(level), repeat(shift))


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


def _repeated(pool: list[int], hits: int) -> Iterable[int]:
    """The items of the sorted ``pool`` occurring at least ``hits`` times (some more than once)."""
    if hits <= 1:
        return pool
    return compress(pool, map(eq, pool, pool[hits - 1 :]))


class _Postings:
    """The prefix index at one threshold, over length ranks: token rank -> length ranks (sorted)
    of the texts whose prefix holds it; ``level_end[h]``: the texts needing at most ``h`` hits are
    the length ranks below it (``h = 0``: too short to index, always candidates)."""

    def __init__(self, sorted_lengths: Sequence[int], ranked: list[list[int]], threshold: float):
        top = sorted_lengths[-1] if sorted_lengths else 0
        plans = [_plan(length, threshold) for length in range(top + 1)]
        postings: defaultdict[int, list[int]] = defaultdict(list)
        for lid, (length, tokens) in enumerate(zip(sorted_lengths, ranked, strict=True)):
            for r in tokens[: plans[length][0]]:
                postings[r].append(lid)
        # Arrays of C ints: compact, and read without chasing int objects all over memory.
        self.postings = {r: array("i", lids) for r, lids in postings.items()}
        needs = [hits for _, hits in plans]
        self.level_end = [
            bisect_right(sorted_lengths, bisect_right(needs, h) - 1) for h in range(_HITS + 1)
        ]


class FuzzyIndex:
    """Best fuzzy match of a query among ``sources`` (see the module docstring)."""

    def __init__(self, sources: Sequence[str]) -> None:
        self._sources = list(sources)
        count = len(self._sources)
        # The first of equal sources wins: fill from the end so earlier indexes overwrite.
        self._exact = dict(zip(reversed(self._sources), range(count - 1, -1, -1), strict=True))
        lengths = list(map(len, self._sources))
        self._by_length = array("i", sorted(range(count), key=lengths.__getitem__))
        self._sorted_lengths = array("i", map(lengths.__getitem__, self._by_length))
        # _length_end[n]: the length ranks of the texts no longer than n are those below it.
        self._length_end = array("i", [0]) * ((max(lengths) + 1) if lengths else 1)
        for lid, length in enumerate(self._sorted_lengths):
            self._length_end[length] = lid + 1
        for n in range(1, len(self._length_end)):
            self._length_end[n] = max(self._length_end[n], self._length_end[n - 1])
        token_lists = list(map(_bigrams, map(self._sources.__getitem__, self._by_length)))
        # Global order: rarest token first, ties by first appearance, as one int rank per token.
        frequency = Counter(chain.from_iterable(token_lists))
        order = sorted(frequency, key=frequency.__getitem__)
        self._rank = dict(zip(order, range(len(order)), strict=True))
        rank = self._rank.__getitem__
        # Per length rank: its tokens' ranks, ascending.
        self._ranked = [sorted(map(rank, tokens)) for tokens in token_lists]
        self._postings: dict[float, _Postings] = {}

    def __len__(self) -> int:
        return len(self._sources)

    def _index_for(self, threshold: float) -> _Postings:
        postings = self._postings.get(threshold)
        if postings is None:
            postings = _Postings(self._sorted_lengths, self._ranked, threshold)
            self._postings[threshold] = postings
        return postings

    def candidates(self, query: str, threshold: float) -> list[int]:
        """Ids that may score ``>= threshold`` against ``query``, ascending."""
        la = len(query)
        if la == 0 or not self._sources:
            return []
        lo, hi = _window(la, threshold)
        lengths = self._sorted_lengths
        first, end = bisect_left(lengths, lo), bisect_right(lengths, hi)
        if first >= end:
            return []
        prefix, hits = _plan(la, threshold)
        if prefix == 0:
            # Too short to filter by bigrams: every text in the length window is a candidate.
            return sorted(self._by_length[first:end])
        postings = self._index_for(threshold)
        # Tokens the dictionary lacks rank first (-1): they take prefix places but find nothing.
        ranks = sorted(map(self._rank.get, _bigrams(query), repeat(-1)))[:prefix]
        get = postings.postings.get
        # A longer partner shares more tokens (alpha grows with la + lb), so the query's j-th
        # token is needed only for partners up to some length: ceil(x) <= m iff x <= m, so with
        # m = (la - 1) - j - 1 + hits it is lb <= (la - 1 + hits - j) / (1.5t - 1) - la.
        scale = 1.5 * threshold - 1
        length_end = self._length_end
        top = len(length_end) - 1
        slices = array("i")
        for j in range(bisect_right(ranks, -1), len(ranks)):
            posting = get(ranks[j])
            if posting is not None:
                longest = math.floor((la - 1 + hits - j + _SLACK) / scale - la)
                stop = min(end, length_end[max(0, min(longest, top))])
                if stop <= first:
                    break
                slices += posting[bisect_left(posting, first) : bisect_left(posting, stop)]
        pool = sorted(slices)
        found = set(_repeated(pool, hits))
        level_end = postings.level_end
        # Shorter texts may need fewer hits (their own alpha is smaller), or none at all.
        for h in range(1, hits):
            if level_end[h] > first:
                found.update(_repeated(pool[: bisect_left(pool, level_end[h])], h))
        if level_end[0] > first:
            found.update(range(first, min(end, level_end[0])))
        return sorted(map(self._by_length.__getitem__, found))

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
            [self._sources[ids[0]]] if len(ids) == 1 else itemgetter(*ids)(self._sources),
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
