"""FuzzyIndex returns exactly what a naive rapidfuzz extractOne over the whole list returns."""

from __future__ import annotations

import random
import tracemalloc
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from bench.tools import corpus
from engine.text import fuzzy
from engine.text.fuzzy import FuzzyIndex, bigrams


def naive(query: str, sources: list[str], threshold: float) -> tuple[int, float] | None:
    hit = process.extractOne(query, sources, scorer=fuzz.ratio, score_cutoff=threshold * 100)
    return None if hit is None else (hit[2], hit[1] / 100)


@pytest.fixture(scope="module")
def korean() -> tuple[list[str], list[str]]:
    gen = corpus(seed=7, stems=3000)
    sources = [gen.text() for _ in range(4000)]
    # Duplicates and ties: some sources twice, some queries equidistant from two sources.
    sources += sources[:50]
    queries = []
    for n in range(600):
        kind = n % 3
        if kind == 0:
            queries.append(gen.near(gen.rng.choice(sources)))
        elif kind == 1:
            queries.append(gen.text())
        else:
            queries.append(gen.rng.choice(sources))
    return sources, queries


@pytest.mark.parametrize("threshold", [0.8, 0.85, 0.9, 0.95, 0.99, 1.0])
def test_same_best_match_as_naive_extract_one(korean, threshold):
    sources, queries = korean
    index = FuzzyIndex(sources)
    found = index.best_many(queries, threshold)
    assert found == [naive(q, sources, threshold) for q in queries]
    # Not a vacuous comparison: near copies do match below 1.0.
    fuzzy = sum(r is not None and r[1] < 1 for r in found)
    assert fuzzy > 50 if threshold < 0.95 else fuzzy >= 0
    assert sum(r is not None for r in found) >= 200


@pytest.mark.parametrize("limit", [0, 1, 1000, 2500, 4050])
def test_limit_searches_a_prefix_like_naive_over_the_prefix(korean, limit):
    sources, queries = korean
    index = FuzzyIndex(sources)
    for query in queries[:150]:
        assert index.best(query, 0.85, limit) == naive(query, sources[:limit], 0.85)


def test_ties_go_to_the_lowest_index():
    sources = ["가나다라마바", "가나다라마사", "가나다라마바"]
    index = FuzzyIndex(sources)
    assert index.best("가나다라마아", 0.8) == naive("가나다라마아", sources, 0.8)
    assert index.best("가나다라마아", 0.8)[0] == 0
    assert index.best("가나다라마바", 0.8) == (0, 1.0)


def test_short_and_empty_texts():
    sources = ["", "가", "가나", "나가", "가나다"]
    index = FuzzyIndex(sources)
    for query in ["", "가", "나", "가나", "가다", "가나다", "가나다라"]:
        for threshold in (0.8, 0.9, 1.0):
            assert index.best(query, threshold) == naive(query, sources, threshold), query


def test_no_sources():
    assert FuzzyIndex([]).best("가나다", 0.9) is None


@given(
    st.lists(st.text(alphabet="가나다라 {}0", max_size=12), min_size=1, max_size=30),
    st.lists(st.text(alphabet="가나다라 {}0", max_size=12), min_size=1, max_size=10),
    st.sampled_from([0.8, 0.83, 0.9, 0.97]),
)
def test_small_alphabets_with_many_repeats(sources, queries, threshold):
    index = FuzzyIndex(sources)
    for query in queries:
        assert index.best(query, threshold) == naive(query, sources, threshold)


def test_progress_every_thousand_queries():
    index = FuzzyIndex(["가나다라"])
    seen: list[tuple[int, int]] = []
    found = index.best_many(["가나다"] * 2500, 0.85, progress=lambda *done: seen.append(done))
    assert seen == [(1000, 2500), (2000, 2500)]
    assert found == [index.best("가나다", 0.85)] * 2500 and found[0] is not None


@given(
    st.text(alphabet="가나다 a\U0001f600", max_size=40),
    st.text(alphabet="가나다 a\U0001f600", max_size=40),
)
def test_bigram_tokens_share_as_bigram_multisets_do(a, b):
    # One token per bigram occurrence; two texts share as many tokens as their bigram multisets.
    def tokens(text):
        owner, found = bigrams(["", text, "가"])
        assert owner.tolist() == [1] * len(found)
        return found.tolist()

    assert len(tokens(a)) == max(len(a) - 1, 0) == len(set(tokens(a)))

    def grams(text):
        return Counter(text[i : i + 2] for i in range(len(text) - 1))

    assert len(set(tokens(a)) & set(tokens(b))) == sum((grams(a) & grams(b)).values())


@given(
    st.lists(st.text(alphabet="가나다라마 ", min_size=5, max_size=40), min_size=1, max_size=40),
    st.lists(st.text(alphabet="가나다라마 ", min_size=5, max_size=40), min_size=1, max_size=8),
    st.sampled_from([0.8, 0.86, 0.9, 0.93, 0.97]),
    st.integers(min_value=0, max_value=40),
)
def test_longer_texts_and_limits_like_naive(sources, queries, threshold, limit):
    # Long enough for the hit counts and the per-position length bounds to prune.
    index = FuzzyIndex(sources)
    for query in queries:
        assert index.best(query, threshold) == naive(query, sources, threshold)
        assert index.best(query, threshold, limit) == naive(query, sources[:limit], threshold)


def test_queries_are_split_into_batches_when_texts_are_very_long(korean):
    # A text of a million characters widens the packed hit counts (see _posting_hits), so 600
    # queries no longer fit one batch; the results must not change.
    sources, queries = korean
    sources = [*sources[:1000], "가나" * (1 << 19)]
    index = FuzzyIndex(sources)
    assert index.best_many(queries, 0.85) == [naive(q, sources, 0.85) for q in queries]


@pytest.mark.parametrize("threshold", [0.8, 0.9])
def test_matches_are_every_pair_at_or_above_the_threshold(korean, threshold):
    sources, queries = korean
    q, ids, scores = FuzzyIndex(sources).matches(queries, threshold)
    every = process.cdist(
        queries, sources, scorer=fuzz.ratio, score_cutoff=threshold * 100, dtype=np.float64
    )
    expected = {(int(a), int(b)) for a, b in zip(*every.nonzero(), strict=True)}
    assert set(zip(q.tolist(), ids.tolist(), strict=True)) == expected
    assert len(expected) > len(queries) // 3
    assert scores.tolist() == [every[a, b] for a, b in zip(q, ids, strict=True)]


def test_short_queries_against_many_short_texts_are_scored_in_bounded_chunks():
    # Texts too short for the bigram filter pair with every text of a near length: 1,000 such
    # queries against 20,000 such texts are 20 million candidate pairs, scored a million at a
    # time instead of all at once (which took 330 MB).
    rng = random.Random(3)
    syllables = [chr(0xAC00 + i * 37) for i in range(300)]
    sources = ["".join(rng.choices(syllables, k=rng.randint(3, 5))) for _ in range(20_000)]
    queries = ["".join(rng.choices(syllables, k=rng.randint(3, 5))) for _ in range(1_000)]
    queries[::50] = sources[:1000:50]  # some exact hits
    queries[1::50] = [s + "가" for s in sources[1:1000:50]]  # and near ones
    index = FuzzyIndex(sources)
    tracemalloc.start()
    try:
        found = index.best_many(queries, 0.8)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 120_000_000
    assert found[:200] == [naive(q, sources, 0.8) for q in queries[:200]]
    assert sum(r is not None and r[1] < 1 for r in found[:200]) >= 4


def test_batches_cut_small_find_the_same(korean, monkeypatch):
    # With a tiny cap every batch is cut down to single queries, both for the pairs of short
    # texts and for the posting entries read; nothing found may change.
    sources, queries = korean
    index = FuzzyIndex(sources)
    expected = index.best_many(queries, 0.85)
    monkeypatch.setattr(fuzzy, "_MAX_PAIRS", 5)
    assert FuzzyIndex(sources).best_many(queries, 0.85) == expected
    assert sum(r is not None and r[1] < 1 for r in expected) > 50
