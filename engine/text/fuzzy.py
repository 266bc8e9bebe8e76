"""A character-level fuzzy index: the best match of each of many texts among many, fast.

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
* **Per-token length bound.** A longer partner shares more tokens (``alpha`` grows with
  ``la + lb``), so the query's ``j``-th token (from 0) can be the first of the ``h`` shared ones
  only for partners up to some length: ``lb <= (la - 1 + h - j) / (1.5t - 1) - la``.
* **Positional filter** (as in PPJoin). The hits found for a pair are all the tokens the two share
  up to the last hit's places ``i`` and ``j`` in either text (every earlier shared token was
  looked up: it lies in both prefixes and within every earlier length bound), and after those
  places at most ``min(na - 1 - i, nb - 1 - j)`` more can be shared; a pair whose total cannot
  reach ``(1.5t - 1)(la + lb) - 1`` is dropped before scoring.

Everything is done on whole arrays with numpy, for a batch of queries at once (Python would spend
far more on the loops than on the work): a text is known by its rank in length order (ties by
index), so a length window is one range of ranks; the postings of all tokens are one sorted array
of ``token rank * size + length rank``, so a token's postings within a length window are one
``searchsorted`` range; the hits of every (query, text) pair are counted by sorting the gathered
pairs; and rapidfuzz's ``cpdist`` scores all surviving pairs in one call. A batch is cut in halves
while its unfiltered pairs or posting reads would exceed ``_MAX_PAIRS`` (memory stays bounded
whatever the texts). The prefix index is built per threshold on first use (a lower threshold needs
longer prefixes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from engine.text.batches import Progress, map_distinct

# Bounds are loosened by this much so float rounding in rapidfuzz never makes a filter too strict.
_SLACK = 1e-9
# Shared prefix tokens a candidate needs (fewer when a text is too short to guarantee them).
_HITS = 3
# Short texts skip the bigram filter (every text of a near length is a candidate), so a batch of
# short queries against many short texts would pair them all at once: batches are cut so that
# these pairs stay below this many (about 50 MB of arrays), and the posting entries a batch reads
# below four times as many.
_MAX_PAIRS = 1_000_000
# Code points are below 0x110000 < 2**21; a bigram is two of them.
_CHAR_BITS = 21
_GRAM_BITS = 2 * _CHAR_BITS


def _ragged(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])`` without the loop."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, counts)


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal neighbours begins in ``values`` (sorted, so runs are groups)."""
    if not len(values):
        return np.zeros(0, np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _find(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``np.searchsorted(haystack, needles)``, faster for many needles: searched in sorted order,
    each search starts where the last one ended, in memory already cached."""
    order = np.argsort(needles)
    out = np.empty(len(needles), np.int64)
    out[order] = np.searchsorted(haystack, needles[order])
    return out


def bigrams(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(text number, token)`` of every bigram occurrence in ``texts``, sorted by text, then by
    bigram. A token is the two characters' code points as one 42-bit number, plus ``k * 2**42``
    for the k-th earlier occurrence of that bigram in the same text (so a repeat is its own token).
    """
    if max(map(len, texts), default=0) >= 1 << _CHAR_BITS:
        raise ValueError(f"a text longer than {1 << _CHAR_BITS:,} characters cannot be indexed")
    owners: list[np.ndarray] = []
    tokens: list[np.ndarray] = []
    # Text numbers share a 64-bit key with a bigram: 21 bits for them, so chunks of 2**20.
    for base in range(0, len(texts), 1 << (_CHAR_BITS - 1)):
        chunk = texts[base : base + (1 << (_CHAR_BITS - 1))]
        lengths = np.fromiter(map(len, chunk), np.int64, len(chunk))
        codes = np.frombuffer("".join(chunk).encode("utf-32-le", "surrogatepass"), np.uint32)
        if len(codes) < 2:
            continue
        codes = codes.astype(np.int64)
        grams = (codes[:-1] << _CHAR_BITS) | codes[1:]
        # Pairs across a boundary (last character of one text, first of the next) are no bigram.
        starts = np.cumsum(lengths) - lengths
        inside = np.ones(len(grams), bool)
        inside[starts[starts > 0] - 1] = False
        owner = np.repeat(np.arange(len(chunk), dtype=np.int64), np.maximum(lengths - 1, 0))
        # Sorted by (text, bigram) (nearly sorted already: the stable sort finds the runs), the
        # k-th repeat of a bigram is k places after the start of its run. Repeats are rare.
        key = np.sort((owner << _GRAM_BITS) | grams[inside], kind="stable")
        token = key & ((1 << _GRAM_BITS) - 1)
        again = np.flatnonzero(key[1:] == key[:-1]) + 1
        if len(again):
            # Consecutive places in `again` repeat one bigram: k counts from the first of them.
            new_run = np.ones(len(again), bool)
            new_run[1:] = np.diff(again) != 1
            first_of_run = again[new_run][np.cumsum(new_run) - 1]
            token[again] |= (again - first_of_run + 1) << _GRAM_BITS
        owners.append(owner + base if base else owner)
        tokens.append(token)
    if len(owners) == 1:  # the usual case: no copy
        return owners[0], tokens[0]
    empty = [np.zeros(0, np.int64)]
    return np.concatenate(owners or empty), np.concatenate(tokens or empty)


def _plan(lengths: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(prefix length, hits needed) per text length; (0, 0) for texts too short to be filtered,
    which must always be candidates."""
    alpha = np.ceil((1.5 * threshold - 1) * 2 * lengths / (2 - threshold) - 1 - _SLACK)
    alpha = alpha.astype(np.int64)
    short = alpha < 1
    hits = np.where(short, 0, np.minimum(_HITS, alpha))
    return np.where(short, 0, lengths - 1 - alpha + hits), hits


def _window(lengths: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    lo = np.ceil(lengths * threshold / (2 - threshold) - _SLACK)
    hi = np.floor(lengths * (2 - threshold) / threshold + _SLACK)
    return lo, hi


@dataclass(frozen=True)
class _Postings:
    """The prefix index at one threshold. ``keys``: ``token rank * size + length rank`` of every
    (token, text) in a text's prefix, sorted; ``hits``: for each of them, the text's length rank
    and the token's place among the text's tokens (by rank), packed as ``lid << 2 * bits |
    place``; ``needs``: hits each text (by length rank) needs; ``always``: the length ranks below
    it are too short to index and always candidates."""

    keys: np.ndarray
    hits: np.ndarray
    bits: int
    needs: np.ndarray
    always: int


@dataclass(frozen=True)
class _Lookups:
    """Posting slices ``[lo, hi)`` read for the prefix token at ``place`` of query ``owner``, and
    how many entries they hold together."""

    owner: np.ndarray
    place: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    gathered: int


@dataclass(frozen=True)
class Pairs:
    """Candidate (query number, source index) pairs, grouped by query (ids in no order)."""

    queries: np.ndarray
    ids: np.ndarray


class FuzzyIndex:
    """Best fuzzy match of queries among ``sources`` (see the module docstring)."""

    def __init__(self, sources: Sequence[str]) -> None:
        self._sources = list(sources)
        self._source_array = np.array(self._sources, dtype=object)
        size = len(self._sources)
        # The first of equal sources wins: fill from the end so earlier indexes overwrite.
        self._exact = dict(zip(reversed(self._sources), range(size - 1, -1, -1), strict=True))
        lengths = np.fromiter(map(len, self._sources), np.int64, size)
        self._by_length = np.argsort(lengths, kind="stable")
        self._sorted_lengths = lengths[self._by_length]
        top = int(self._sorted_lengths[-1]) if size else 0
        # _length_end[n]: the texts no longer than n are the length ranks below it.
        self._length_end = np.searchsorted(self._sorted_lengths, np.arange(top + 1), "right")
        by_length = self._by_length.tolist()
        owner, tokens = bigrams([self._sources[i] for i in by_length])
        # Token frequencies: sort the tokens once; the runs are the distinct tokens.
        order = np.argsort(tokens, kind="stable")  # each text's tokens come nearly sorted
        ordered = tokens[order]
        del tokens  # a few arrays of one int per bigram are alive at a time, no more
        run_start = _run_starts(ordered)
        self._tokens = ordered[run_start]
        del ordered
        frequency = np.diff(np.append(run_start, len(order)))
        # Global order: rarest token first (ties by token value), as one int rank per token.
        self._token_rank = np.empty(len(self._tokens), np.int64)
        self._token_rank[np.argsort(frequency, kind="stable")] = np.arange(len(self._tokens))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.repeat(self._token_rank, frequency)
        del order
        # Each text's token ranks ascending, texts in length order (owner is sorted, so each
        # text keeps its place), and each token's place in its text: what prefixes are cut from.
        # Kept as 32-bit ints (ranks, length ranks and places are far below 2**31).
        width = max(len(self._tokens), 1)
        rank += owner * width
        rank.sort(kind="stable")
        rank -= owner * width
        self._ranked_rank = rank.astype(np.int32)
        del rank
        self._ranked_lid = owner.astype(np.int32)
        counts = np.bincount(owner, minlength=size)
        del owner
        self._ranked_place = _ragged(np.zeros(size, np.int64), counts).astype(np.int32)
        self._postings: dict[float, _Postings] = {}

    def __len__(self) -> int:
        return len(self._sources)

    def _index_for(self, threshold: float) -> _Postings:
        postings = self._postings.get(threshold)
        if postings is None:
            prefix, needs = _plan(self._sorted_lengths, threshold)
            keep = self._ranked_place < prefix[self._ranked_lid]
            size = len(self._sources)
            lid = self._ranked_lid[keep].astype(np.int64)
            place = self._ranked_place[keep].astype(np.int64)
            keys = self._ranked_rank[keep].astype(np.int64) * size + lid
            order = np.argsort(keys, kind="stable")
            # A query can only match texts at least half its length (threshold > 2/3), so places
            # in a query that finds anything fit in the bits of twice the longest text.
            bits = (2 * int(self._sorted_lengths[-1]) + 2).bit_length()
            postings = _Postings(
                keys[order],
                ((lid << (2 * bits)) | place)[order],
                bits,
                needs,
                int(np.count_nonzero(prefix == 0)),
            )
            self._postings[threshold] = postings
        return postings

    def _candidate_chunks(
        self, queries: Sequence[str], threshold: float, offset: int
    ) -> Iterator[Pairs]:
        """Every (query, source) pair that may score ``>= threshold``, in chunks of bounded size
        (query numbers + ``offset``)."""
        size = len(self._sources)
        la = np.fromiter(map(len, queries), np.int64, len(queries))
        if size == 0 or not len(queries):
            return
        lo, hi = _window(la, threshold)
        first = np.searchsorted(self._sorted_lengths, lo, "left")
        end = np.searchsorted(self._sorted_lengths, hi, "right")
        end[la == 0] = 0
        postings = self._index_for(threshold)
        prefix, hits = _plan(la, threshold)
        # Texts too short to index are always candidates; so is the whole window of a query too
        # short to filter.
        always_end = np.where(prefix == 0, end, np.minimum(end, postings.always))
        spans = np.maximum(always_end - first, 0)
        # Hits are counted as packed ints (see _posting_hits): a batch must fit in 62 bits.
        fits = 1 << max(0, 62 - 2 * postings.bits - size.bit_length())
        if len(queries) > 1 and (len(queries) > fits or spans.sum() > _MAX_PAIRS):
            half = min(fits, len(queries) // 2)
            yield from self._candidate_chunks(queries[:half], threshold, offset)
            yield from self._candidate_chunks(queries[half:], threshold, offset + half)
            return
        lookups = self._lookups(queries, threshold, la, first, end, prefix, hits, postings)
        if len(queries) > 1 and lookups is not None and lookups.gathered > 4 * _MAX_PAIRS:
            half = len(queries) // 2
            yield from self._candidate_chunks(queries[:half], threshold, offset)
            yield from self._candidate_chunks(queries[half:], threshold, offset + half)
            return
        found = self._posting_hits(threshold, la, hits, postings, lookups)
        yield Pairs(
            np.concatenate((np.repeat(np.arange(len(queries)), spans), found[0])) + offset,
            self._by_length[np.concatenate((_ragged(first, spans), found[1]))],
        )

    def _lookups(
        self,
        queries: Sequence[str],
        threshold: float,
        la: np.ndarray,
        first: np.ndarray,
        end: np.ndarray,
        prefix: np.ndarray,
        hits: np.ndarray,
        postings: _Postings,
    ) -> _Lookups | None:
        """The posting slices each query's prefix tokens read; None when nothing is indexed or
        no query is long enough to use the index."""
        scale = 1.5 * threshold - 1
        if scale <= 0 or not len(self._tokens) or not np.any(prefix):
            return None
        owner, tokens = bigrams(queries)
        # The query's tokens as dictionary ranks; -1 for tokens the dictionary lacks (they rank
        # first: they take prefix places but find nothing).
        at = np.minimum(_find(self._tokens, tokens), len(self._tokens) - 1)
        rank = np.where(self._tokens[at] == tokens, self._token_rank[at], -1)
        # Per query, ranks ascending; place = position in that order.
        width = len(self._tokens) + 1
        ordered = np.sort(owner * width + rank + 1, kind="stable")  # grouped by owner already
        owner = ordered // width
        rank = ordered - owner * width - 1
        counts = np.bincount(owner, minlength=len(queries))
        place = _ragged(np.zeros(len(queries), np.int64), counts)
        keep = (place < prefix[owner]) & (rank >= 0)
        owner, rank, place = owner[keep], rank[keep], place[keep]
        q_len, q_hits = la[owner], hits[owner]
        longest = np.floor((q_len - 1 + q_hits - place + _SLACK) / scale - q_len).astype(np.int64)
        top = len(self._length_end) - 1
        stop = np.minimum(end[owner], self._length_end[np.clip(longest, 0, top)])
        start = first[owner]
        keep = stop > start
        owner, rank, place = owner[keep], rank[keep], place[keep]
        start, stop = start[keep], stop[keep]
        size = len(self._sources)
        bounds = _find(postings.keys, np.concatenate((rank * size + start, rank * size + stop)))
        lo, hi = bounds[: len(rank)], bounds[len(rank) :]
        return _Lookups(owner, place, lo, hi, int((hi - lo).sum()))

    def _posting_hits(
        self,
        threshold: float,
        la: np.ndarray,
        hits: np.ndarray,
        postings: _Postings,
        lookups: _Lookups | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(query, length rank) of the texts sharing enough prefix tokens with each query."""
        empty = np.zeros(0, np.int64)
        if lookups is None or not lookups.gathered:
            return empty, empty
        owner, place, lo, hi = lookups.owner, lookups.place, lookups.lo, lookups.hi
        found = _ragged(lo, hi - lo)
        size, scale = len(self._sources), 1.5 * threshold - 1
        # One int per hit: (query, text) on top, then the token's place in the query and in the
        # text. Sorted (the gathered slices are sorted runs grouped by query, which the stable
        # merge sort takes advantage of), a run is one pair and its last hit has both places
        # highest.
        bits = postings.bits
        hit = np.repeat(((owner * size) << (2 * bits)) | (place << bits), hi - lo)
        hit += postings.hits[found]
        hit.sort(kind="stable")
        pair = hit >> (2 * bits)
        starts = _run_starts(pair)
        ends = np.append(starts[1:], len(hit))
        run = ends - starts
        q, lid = pair[starts] // size, pair[starts] % size
        # Enough prefix hits; and the positional filter: the hits are all the tokens shared up to
        # the last hit's places, and no more can be shared than tokens remain after them in the
        # shorter rest, while the pair needs (1.5t - 1)(la + lb) - 1 shared tokens.
        last = hit[ends - 1]
        mask = (1 << bits) - 1
        t_len = self._sorted_lengths[lid]
        rest = np.minimum(la[q] - 2 - ((last >> bits) & mask), t_len - 2 - (last & mask))
        needed = np.ceil(scale * (la[q] + t_len) - 1 - _SLACK)
        keep = (run >= np.minimum(hits[q], postings.needs[lid])) & (run + rest >= needed)
        return q[keep], lid[keep]

    def matches(
        self, queries: Sequence[str], threshold: float, limit: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (query number, source index, score 0..100) scoring at least ``threshold``
        (0..1), in no particular order; with ``limit``, among ``sources[:limit]`` only."""
        texts = np.array(queries, dtype=object)
        cutoff = threshold * 100
        found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for chunk in self._candidate_chunks(queries, threshold, 0):
            q, ids = chunk.queries, chunk.ids
            if limit is not None:
                q, ids = q[ids < limit], ids[ids < limit]
            if not len(q):
                continue
            scores = process.cpdist(
                texts[q],
                self._source_array[ids],
                scorer=fuzz.ratio,
                score_cutoff=cutoff,
                dtype=np.float64,
                workers=1,
            )
            passed = scores >= cutoff
            found.append((q[passed], ids[passed], scores[passed]))
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
        q, ids, scores = zip(*found, strict=True)
        return np.concatenate(q), np.concatenate(ids), np.concatenate(scores)

    def _search(
        self, queries: list[str], threshold: float, limit: int | None
    ) -> list[tuple[int, float] | None]:
        out: list[tuple[int, float] | None] = [None] * len(queries)
        limit = len(self._sources) if limit is None else limit
        todo: list[int] = []
        exact = self._exact.get
        for n, query in enumerate(queries):
            i = exact(query)
            if i is not None and i < limit:
                out[n] = (i, 1.0)
            elif query and threshold < 1.0:
                todo.append(n)
        if not todo or limit <= 0:
            return out
        q, ids, scores = self.matches([queries[n] for n in todo], threshold, limit)
        # Best score per query, ties to the lowest index (as extractOne over the list).
        order = np.lexsort((ids, -scores, q))
        q, ids, scores = q[order], ids[order], scores[order]
        head = _run_starts(q)
        best = zip(q[head].tolist(), ids[head].tolist(), scores[head].tolist(), strict=True)
        for n, i, score in best:
            out[todo[n]] = (i, score / 100)
        return out

    def best(
        self, query: str, threshold: float, limit: int | None = None
    ) -> tuple[int, float] | None:
        """``(index, score)`` of the best source scoring at least ``threshold`` (0..1), or None.
        With ``limit``, only ``sources[:limit]`` are searched (one index can serve a list and
        its prefix)."""
        return self._search([query], threshold, limit)[0]

    def best_many(
        self,
        queries: Sequence[str],
        threshold: float,
        progress: Progress | None = None,
        limit: int | None = None,
    ) -> list[tuple[int, float] | None]:
        """:meth:`best` for each query, a batch at a time; repeated queries are matched once.
        ``progress(done, total)`` after every full batch."""
        return map_distinct(lambda new: self._search(new, threshold, limit), queries, progress)
