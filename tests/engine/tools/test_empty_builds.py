"""A build that finds no entries fails and leaves the dictionary of that name as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dictionaries import DictionaryError, DictionaryStore
from engine.formats import Entry
from engine.tools.base import ToolCall
from engine.tools.quick_search import TOOL as QUICK_SEARCH
from engine.tools.xls_transfer.dictionary import KIND as XLS_KIND
from tests.engine.tools.xls_transfer_helpers import book, leftovers, run

HEADER_ONLY_PO = """\
msgid ""
msgstr ""
"Language: ko\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"""


def _quick(function: str, data_dir: Path, inputs: list[Path], **params: object):
    fn = QUICK_SEARCH.function(function)
    assert fn is not None
    return fn.run(ToolCall(inputs, fn.params.model_validate(params), data_dir))


def test_an_empty_workbook_never_replaces_an_xls_transfer_dictionary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    full = book(tmp_path / "full.xlsx", {"S": [["검", "Sword"], ["방패", "Shield"]]})
    run("build_dictionary", [full], data, name="game")
    empty = book(tmp_path / "empty.xlsx", {"S": [["KR", "EN"]]})
    with pytest.raises(DictionaryError, match="no entries") as failed:
        run("build_dictionary", [empty], data, name="game", first_row=2)
    assert "'game'" in str(failed.value) and "kept as it was" in str(failed.value)
    kept = DictionaryStore(data, XLS_KIND).load("game")
    assert [(e.source, e.translation) for e in kept] == [("검", "Sword"), ("방패", "Shield")]
    assert leftovers(data) == []


def test_a_header_only_po_never_replaces_a_quick_search_dictionary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = tmp_path / "good.po"
    good.write_text(HEADER_ONLY_PO + '\nmsgid "Sword"\nmsgstr "검"\n', encoding="utf-8")
    _quick("build_dictionary", data, [good], game="G", language="ko")
    header_only = tmp_path / "header.po"
    header_only.write_text(HEADER_ONLY_PO, encoding="utf-8")
    with pytest.raises(DictionaryError, match="no entries"):
        _quick("build_dictionary", data, [header_only], game="G", language="ko")
    kept = DictionaryStore(data, "quick_search").load("G-ko")
    assert kept == [Entry("Sword", "Sword", "검")]
    assert leftovers(data) == []


def test_an_empty_build_creates_no_dictionary(tmp_path: Path) -> None:
    data = tmp_path / "data"
    empty = book(tmp_path / "empty.xlsx", {"S": []})
    with pytest.raises(DictionaryError, match="no entries"):
        run("build_dictionary", [empty], data, name="fresh")
    assert DictionaryStore(data, XLS_KIND).names() == []
