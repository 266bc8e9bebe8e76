"""build_dictionary, the dictionary store, list and delete."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from engine.dictionaries import DictionaryError, DictionaryStore
from engine.errors import BadParams
from engine.formats import Entry, FormatError
from engine.tools.xls_transfer.dictionary import KIND, SPLIT, WHOLE, pairs_of
from tests.engine.tools.xls_transfer_helpers import book, cells, leftovers, run


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
    # "검" has Sword twice (one with a trailing space), Blade twice: both kept, in a tie the
    # first seen first.
    assert entries == [
        Entry("", "KR", "EN", SPLIT),
        Entry("", "검", "Sword", SPLIT),
        Entry("", "검", "Blade", SPLIT),
        Entry("", "첫 줄", "Line one", SPLIT),
        Entry("", "둘째 줄", "Line two", SPLIT),
        Entry("", "세 줄\n짜리\n문장", "Two\nlines", WHOLE),
        Entry("", "활", "Bow", SPLIT),
    ]
    assert result.rows_out == 7 and result.summary["whole"] == 1
    assert result.summary["alternatives"] == 1
    assert progress[-1] == (1, 1, "saved")
    [info] = store.names()
    assert info["name"] == "game 1" and info["entries"] == 7
    assert info["meta"]["files"] == ["one.xlsx", "two.xlsx"]


def test_most_frequent_translation_comes_first(tmp_path):
    rows = [["검", "Blade"], ["검", "Sword"], ["검", "Sword"]]
    src = book(tmp_path / "a.xlsx", {"S": rows})
    run("build_dictionary", [src], tmp_path, name="d")
    assert DictionaryStore(tmp_path, KIND).load("d") == [
        Entry("", "검", "Sword", SPLIT),
        Entry("", "검", "Blade", SPLIT),
    ]


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
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT string_id, source, translation, kind FROM entries").fetchall()
        assert rows == [("id", "가", "A", "")]

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


def test_the_kind_has_its_own_column_and_string_id_stays_empty(tmp_path):
    src = book(tmp_path / "a.xlsx", {"S": [["검", "Sword"], ["세 줄\n짜리\n문장", "Two\nlines"]]})
    run("build_dictionary", [src], tmp_path, name="d")
    with closing(sqlite3.connect(DictionaryStore(tmp_path, KIND).path("d"))) as db:
        rows = db.execute("SELECT string_id, kind, source FROM entries ORDER BY id").fetchall()
    assert rows == [("", SPLIT, "검"), ("", WHOLE, "세 줄\n짜리\n문장")]


# The layout of format 1, before the kind column: XLS Transfer kept the kind in string_id.
_FORMAT_1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    string_id TEXT NOT NULL,
    source TEXT NOT NULL,
    translation TEXT NOT NULL
) STRICT;
"""


def _format_1(path: Path, rows: list[tuple[str, str, str]], meta: dict, version: int = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"format": version, "name": path.stem, "created": "2024-05-01T09:00:00+00:00"}
    header |= {"entries": len(rows), "meta": meta}
    with closing(sqlite3.connect(path)) as db, db:
        db.executescript(_FORMAT_1)
        db.executemany(
            "INSERT INTO entries (string_id, source, translation) VALUES (?, ?, ?)", rows
        )
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in header.items()]
        )


def test_an_old_layout_xls_transfer_dictionary_still_transfers(tmp_path):
    data = tmp_path / "data"
    rows = [
        ("split", "첫 줄", "Line one"),
        ("split", "둘째 줄", "Line two"),
        ("whole", "세 줄\n짜리\n문장", "Two\nlines"),
    ]
    _format_1(DictionaryStore(data, KIND).path("old"), rows, {"normalized_sources": True})
    listed = run("list_dictionaries", [], data).summary["dictionaries"]
    assert [(d["name"], d["entries"]) for d in listed] == [("old", 3)]
    # Line by line needs the split pairs: it works only if their kind is read as such.
    target = book(tmp_path / "t.xlsx", {"S": [["첫 줄\n둘째 줄"], ["세 줄\n짜리\n문장"], ["없음"]]})
    result = run("transfer_excel", [target], data, dictionary="old", translation_column="B")
    assert result.summary["lines"] == 1 and result.summary["exact"] == 1
    assert cells(tmp_path / "t_translated.xlsx", "S", "B") == [
        "Line one\nLine two",
        "Two\nlines",
        None,
    ]


def test_an_old_layout_quick_search_dictionary_keeps_its_string_ids(tmp_path):
    store = DictionaryStore(tmp_path, "quick_search")
    _format_1(store.path("BDO-EN"), [("item_1", "검", "Sword")], {"game": "BDO"})
    assert store.read("BDO-EN") == (1, [Entry("item_1", "검", "Sword", "")])


def test_an_unknown_format_is_refused(tmp_path):
    store = DictionaryStore(tmp_path, KIND)
    _format_1(store.path("future"), [("split", "검", "Sword")], {}, version=3)
    with pytest.raises(DictionaryError, match="'future' has an unknown format 3"):
        store.load("future")
    assert store.names() == []
