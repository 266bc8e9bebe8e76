"""Quick Search dictionaries and search, on real LocStr files and the real dictionary store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.tools.base import ToolCall
from engine.tools.quick_search import TOOL
from engine.tools.reports import read_report


def _xml(path: Path, *rows: tuple[str, str, str]) -> Path:
    body = "".join(
        f'<LocStr StringId="{i}" StrOrigin="{s.replace("<", "&lt;")}" '
        f'Str="{t.replace("<", "&lt;")}"/>\n'
        for i, s, t in rows
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<LanguageData>\n{body}</LanguageData>\n", encoding="utf-8")
    return path


def _run(function: str, data_dir: Path, inputs: list[Path] | None = None, **params: Any):
    fn = TOOL.function(function)
    assert fn is not None
    validated = fn.params.model_validate(params)
    return fn.run(ToolCall(inputs=inputs or [], params=validated, data_dir=data_dir))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Two dictionaries of one game: Korean->English and Korean->French."""
    en, fr = tmp_path / "en", tmp_path / "fr"
    _xml(en / "items.xml", ("item_1", "검", "Sword"), ("item_2", "불의 검", "Fire sword"))
    _xml(
        en / "ui" / "menu.xml",
        ("ui_1", "검 강화<br/>성공", "Sword upgrade<br/>succeeded"),
        ("ui_2", "방패", "Shield"),
        ("ui_3", "활", "sword-like bow"),
    )
    _xml(fr / "all.xml", ("item_1", "검", "Épée"), ("ui_2", "방패", "Bouclier"))
    data = tmp_path / "data"
    built = _run("build_dictionary", data, [en], game="BDO", language="EN")
    assert built.summary == {
        "dictionary": "BDO-EN",
        "files": 2,
        "entries": 5,
        "declared_languages": [],
    }
    assert (built.rows_in, built.warnings) == (5, [])
    _run("build_dictionary", data, [fr / "all.xml"], game="BDO", language="FR")
    return data


def test_dictionaries_are_listed(data_dir: Path) -> None:
    listed = _run("list_dictionaries", data_dir).summary["dictionaries"]
    assert [d["name"] for d in listed] == ["BDO-EN", "BDO-FR"]


def test_contains_over_all_fields(data_dir: Path, tmp_path: Path) -> None:
    report = tmp_path / "hits.tsv"
    result = _run("search", data_dir, dictionary="BDO-EN", query="SWORD", report=report)
    assert read_report(report) == [
        ["query", "string_id", "source", "translation"],
        ["SWORD", "item_1", "검", "Sword"],
        ["SWORD", "item_2", "불의 검", "Fire sword"],
        ["SWORD", "ui_1", "검 강화<br/>성공", "Sword upgrade<br/>succeeded"],
        ["SWORD", "ui_3", "활", "sword-like bow"],
    ]
    assert result.summary["total"] == 4
    assert result.output_files == [report]


def test_case_and_fields(data_dir: Path) -> None:
    result = _run(
        "search",
        data_dir,
        dictionary="BDO-EN",
        query="sword",
        ignore_case=False,
        fields=["translation"],
    )
    assert [r["string_id"] for r in result.summary["results"]] == ["item_2", "ui_3"]


def test_exact_string_id_with_reference(data_dir: Path) -> None:
    result = _run(
        "search",
        data_dir,
        dictionary="BDO-EN",
        query="item_1",
        mode="exact",
        fields=["string_id"],
        reference="BDO-FR",
    )
    assert result.summary["results"] == [
        {
            "query": "item_1",
            "string_id": "item_1",
            "source": "검",
            "translation": "Sword",
            "reference_source": "검",
            "reference_translation": "Épée",
        }
    ]


def test_exact_text_ignores_line_break_form(data_dir: Path) -> None:
    result = _run(
        "search",
        data_dir,
        dictionary="BDO-EN",
        query="검 강화<br>성공",
        mode="exact",
    )
    assert [r["string_id"] for r in result.summary["results"]] == ["ui_1"]


def test_multi_line_and_paging(data_dir: Path) -> None:
    query = "방패\n\n검\nitem_2\n"
    first = _run("search", data_dir, dictionary="BDO-EN", query=query, multi_line=True, page_size=2)
    second = _run(
        "search", data_dir, dictionary="BDO-EN", query=query, multi_line=True, page_size=2, page=2
    )
    assert {k: first.summary[k] for k in ("queries", "total", "pages")} == {
        "queries": 3,
        "total": 5,
        "pages": 3,
    }
    assert [(r["query"], r["string_id"]) for r in first.summary["results"]] == [
        ("방패", "ui_2"),
        ("검", "item_1"),
    ]
    assert [(r["query"], r["string_id"]) for r in second.summary["results"]] == [
        ("검", "item_2"),
        ("검", "ui_1"),
    ]


def test_unknown_dictionary(data_dir: Path) -> None:
    with pytest.raises(ToolFailed) as caught:
        _run("search", data_dir, dictionary="BDO-DE", query="x")
    assert str(caught.value) == "no dictionary named 'BDO-DE' (built: BDO-EN, BDO-FR)"


def test_build_from_a_bad_folder(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    _xml(folder / "a.xml", ("a", "검", "Sword"))
    (folder / "b.xml").write_bytes(b'<LanguageData>\n<LocStr StringId="x" StrOrigin="\xff"/>')
    data = tmp_path / "data"
    with pytest.raises(FormatError) as caught:
        _run("build_dictionary", data, [folder], game="G", language="EN")
    assert str(caught.value).startswith("b.xml: line 2: not well-formed (invalid token)")
    assert _run("list_dictionaries", data).summary["dictionaries"] == []
    built = _run("build_dictionary", data, [folder], game="G", language="EN", skip_bad_files=True)
    assert built.summary == {
        "dictionary": "G-EN",
        "files": 2,
        "entries": 1,
        "declared_languages": [],
    }
    assert built.warnings[0].startswith("skipped b.xml: line 2:")
