"""build_dictionary, the dictionary store, list and delete."""

from __future__ import annotations

import sqlite3

import pytest

from engine.dictionaries import DictionaryError, DictionaryStore
from engine.errors import BadParams
from engine.formats import Entry, FormatError
from engine.tools.xls_transfer.dictionary import KIND, pairs_of
from tests.engine.tools.xls_transfer_helpers import book, leftovers, run


def test_pairs_of_rows():
    assert pairs_of("가\n나", "A\nB") == [("split", "가", "A"), ("split", "나", "B")]
    assert pairs_of("가_x000D_\n나", "A\r\nB") == [("split", "가", "A"), ("split", "나", "B")]
    assert pairs_of("가\n나", "A B") == [("whole", "가\n나", "A B")]
    assert pairs_of(" 가 ", "A") == [("split", "가", "A")]
    assert pairs_of("가", "  ") == []
    assert pairs_of("", "A") == []
    # A line pair with an empty side is dropped, the others kept.
    assert pairs_of("가\n\n다", "A\n\nC") == [("split", "가", "A"), ("split", "다", "C")]


def test_build_from_two_files_and_sheets(tmp_path):
    first = book(
        tmp_path / "one.xlsx",
        {
            "UI": [
                ["KR", "EN"],
                ["검", "Sword"],
                ["검", "Blade"],
                ["검 ", "Sword"],
                ["방패", None],
                [None, "orphan"],
                ["첫 줄_x000D_\n둘째 줄", "Line one\nLine two"],
                ["세 줄\n짜리\n문장", "Two\nlines"],
            ],
            "Skip": [["무시", "ignored"]],
        },
    )
    second = book(tmp_path / "two.xlsx", {"Data": [[None, "활", "Bow"], [None, "검", "Blade"]]})
    progress: list = []
    result = run(
        "build_dictionary",
        [first, second],
        tmp_path / "data",
        progress,
        name="game 1",
        selections=[
            {"file": "one.xlsx", "sheet": "UI", "source_column": "A", "translation_column": "B"},
            {"file": "two.xlsx", "sheet": "", "source_column": "B", "translation_column": "C"},
        ],
    )
    store = DictionaryStore(tmp_path / "data", KIND)
    entries = store.load("game 1")
    # "검" has Sword twice (one with a trailing space), Blade twice: tie, first seen wins.
    assert entries == [
        Entry("split", "KR", "EN"),
        Entry("split", "검", "Sword"),
        Entry("split", "첫 줄", "Line one"),
        Entry("split", "둘째 줄", "Line two"),
        Entry("whole", "세 줄\n짜리\n문장", "Two\nlines"),
        Entry("split", "활", "Bow"),
    ]
    assert result.rows_out == 6 and result.summary["whole"] == 1
    assert progress[-1] == (1, 1, "saved")
    [info] = store.names()
    assert info["name"] == "game 1" and info["entries"] == 6
    assert info["meta"]["files"] == ["one.xlsx", "two.xlsx"]


def test_most_frequent_translation_wins(tmp_path):
    rows = [["검", "Blade"], ["검", "Sword"], ["검", "Sword"]]
    src = book(tmp_path / "a.xlsx", {"S": rows})
    run("build_dictionary", [src], tmp_path, name="d")
    assert DictionaryStore(tmp_path, KIND).load("d") == [Entry("split", "검", "Sword")]


def test_list_and_delete(tmp_path):
    src = book(tmp_path / "a.xlsx", {"S": [["검", "Sword"]]})
    run("build_dictionary", [src], tmp_path, name="a")
    run("build_dictionary", [src], tmp_path, name="b")
    listed = run("list_dictionaries", [], tmp_path).summary["dictionaries"]
    assert [d["name"] for d in listed] == ["a", "b"]
    run("delete_dictionary", [], tmp_path, name="a")
    assert [d["name"] for d in DictionaryStore(tmp_path, KIND).names()] == ["b"]
    with pytest.raises(DictionaryError, match="no dictionary 'a'"):
        run("delete_dictionary", [], tmp_path, name="a")


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", ".hidden", "", " pad", "x:y"])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(DictionaryError, match="bad dictionary name"):
        DictionaryStore(tmp_path, KIND).save(name, [], {})
    assert not (tmp_path / "dictionaries" / KIND).exists() or leftovers(tmp_path) == []


def test_store_is_plain_sqlite_and_replaces_atomically(tmp_path):
    store = DictionaryStore(tmp_path, "quick_search")
    store.save("한국어", [Entry("id", "가", "A")], {"game": "x"})
    path = tmp_path / "dictionaries" / "quick_search" / "한국어.sqlite"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT string_id, source, translation FROM entries").fetchall() == [
            ("id", "가", "A")
        ]
    db.close()

    def broken():
        yield Entry("id", "나", "B")
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        store.save("한국어", broken(), {})
    assert store.load("한국어") == [Entry("id", "가", "A")]
    assert leftovers(tmp_path) == []


def test_unreadable_dictionary(tmp_path):
    store = DictionaryStore(tmp_path, KIND)
    store.folder.mkdir(parents=True)
    (store.folder / "junk.sqlite").write_bytes(b"not a database at all" * 10)
    with pytest.raises(DictionaryError, match="'junk' is unreadable"):
        store.load("junk")
    assert store.names() == []
    with pytest.raises(DictionaryError, match="no dictionary 'nope'"):
        store.load("nope")


def test_build_bad_inputs_leave_nothing(tmp_path):
    good = book(tmp_path / "good.xlsx", {"S": [["검", "Sword"]]})
    (tmp_path / "empty.xlsx").write_bytes(b"")
    data = tmp_path / "data"
    with pytest.raises(FormatError, match="empty.xlsx: empty file"):
        run("build_dictionary", [good, tmp_path / "empty.xlsx"], data, name="d")
    with pytest.raises(FormatError, match="good.xlsx, sheet 'Nope': no sheet 'Nope'"):
        run("build_dictionary", [good], data, name="d", sheet="Nope")
    with pytest.raises(FormatError, match="bad column 'A1'"):
        run("build_dictionary", [good], data, name="d", source_column="A1")
    with pytest.raises(BadParams, match="name"):
        run("build_dictionary", [good], data)
    assert DictionaryStore(data, KIND).names() == []
    assert leftovers(tmp_path) == []
