"""Batches: every item gets its own result, each distinct item is worked on once."""

from __future__ import annotations

from engine.text.batches import batches, map_distinct


def test_batches_cover_the_list_and_report_full_batches():
    seen: list[tuple[int, int]] = []
    items = list(range(2500))
    got = list(batches(items, lambda *done: seen.append(done), size=1000))
    assert [start for start, _ in got] == [0, 1000, 2000]
    assert [x for _, chunk in got for x in chunk] == items
    assert seen == [(1000, 2500), (2000, 2500)]


def test_map_distinct_works_on_each_new_item_once():
    asked: list[list[str]] = []

    def work(new: list[str]) -> list[str]:
        asked.append(new)
        return [s.upper() for s in new]

    items = ["a", "b", "a", "c", "b", "d", "a"]
    assert map_distinct(work, items, size=3) == [s.upper() for s in items]
    # Batches ["a","b","a"], ["c","b","d"], ["a"]: repeats within and across batches are reused.
    assert asked == [["a", "b"], ["c", "d"], []]


def test_map_distinct_of_nothing():
    assert map_distinct(lambda new: new, []) == []
