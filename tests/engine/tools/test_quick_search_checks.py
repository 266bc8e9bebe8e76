"""Quick Search glossary checks on real LocStr XML files, each checked through its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.tools.base import ToolCall
from engine.tools.quick_search import TOOL
from engine.tools.reports import read_report


def _xml(path: Path, *rows: tuple[str, str, str]) -> Path:
    def attr(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    body = "".join(
        f'<LocStr StringId="{i}" StrOrigin="{attr(s)}" Str="{attr(t)}"/>\n' for i, s, t in rows
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<LanguageData>\n{body}</LanguageData>\n", encoding="utf-8")
    return path


def _run(function: str, inputs: list[Path], data_dir: Path, **params: Any):
    fn = TOOL.function(function)
    assert fn is not None
    validated = fn.params.model_validate(params)
    return fn.run(ToolCall(inputs=inputs, params=validated, data_dir=data_dir))


GAME = [
    ("i_1", "검", "Sword"),
    ("i_2", "불의 검", "Sword of Fire"),
    ("i_3", "검과 방패", "Sword and shield"),
    ("i_4", "방패", "Shield"),
    ("i_5", "방패를 들어라", "Raise your buckler"),
    ("i_6", "검!", "Sword!"),
    ("i_7", "활", "Bow"),
    ("i_8", "방패", "Guard"),
    ("i_9", "방패", "Shield"),
    ("i_10", "검술", ""),
]


def test_extract_glossary(tmp_path: Path) -> None:
    src = _xml(tmp_path / "in" / "game.xml", *GAME)
    report = tmp_path / "glossary.tsv"
    result = _run("extract_glossary", [src], tmp_path, report=report, min_length=1, max_length=2)
    # 검 is in 검, 불의 검, 검과 방패, 검!, 검술; 방패 in three distinct texts; 활 only in itself;
    # 검! has punctuation; 불의 검 is too long.
    assert read_report(report) == [
        ["term", "translation", "occurrences"],
        ["검", "Sword", "5"],
        ["방패", "Shield", "3"],
    ]
    assert result.summary == {
        "candidates": 3,
        "terms": 2,
        "top": [["검", "Sword", 5], ["방패", "Shield", 3]],
    }
    assert result.output_files == [report]


def test_extract_glossary_to_xlsx_keeps_text_as_text(tmp_path: Path) -> None:
    src = _xml(tmp_path / "game.xml", ("a", "=1+1", "=2"), ("b", "=1+1 더하기", "x"))
    report = tmp_path / "glossary.xlsx"
    _run(
        "extract_glossary",
        [src],
        tmp_path,
        report=report,
        report_format="xlsx",
        allow_punctuation=True,
    )
    book = load_workbook(report)
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    book.close()
    assert rows == [["term", "translation", "occurrences"], ["=1+1", "=2", 2]]


def test_line_check(tmp_path: Path) -> None:
    src = _xml(tmp_path / "game.xml", *GAME)
    report = tmp_path / "lines.tsv"
    result = _run("line_check", [src], tmp_path, report=report)
    assert read_report(report) == [
        ["group", "source", "translation", "count", "string_ids"],
        ["1", "방패", "Shield", "2", "i_4, i_9"],
        ["1", "방패", "Guard", "1", "i_8"],
    ]
    assert result.summary == {"groups": 1}
    assert (result.rows_in, result.rows_out) == (10, 2)


def test_term_check(tmp_path: Path) -> None:
    src = _xml(tmp_path / "game.xml", *GAME, ("i_11", "불의 검을 들어라", "Raise the flame blade"))
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text(
        "term\ttranslation\n검\tsword\n방패\tshield\n방패\tbuckler\n불의 검\tflame blade\n",
        encoding="utf-8",
    )
    report = tmp_path / "terms.tsv"
    result = _run("term_check", [src], tmp_path, report=report, glossary=glossary)
    # i_2: 불의 검 is a glossary term, its 검 lies inside it and is not checked on its own, and
    # "Sword of Fire" lacks "flame blade". i_8: Guard is neither shield nor buckler.
    assert read_report(report) == [
        ["string_id", "source", "translation", "term", "glossary_translation"],
        ["i_2", "불의 검", "Sword of Fire", "불의 검", "flame blade"],
        ["i_8", "방패", "Guard", "방패", "buckler | shield"],
    ]
    assert result.summary == {"terms": 3, "problems": 2}


def test_term_check_glossary_errors(tmp_path: Path) -> None:
    src = _xml(tmp_path / "game.xml", *GAME)
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text("term\ttranslation\n검\tsword\n방패\n", encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        _run("term_check", [src], tmp_path, glossary=glossary)
    assert str(caught.value) == "glossary.tsv, row 3: a term without a translation"
    with pytest.raises(ToolFailed) as failed:
        _run("term_check", [src], tmp_path, glossary=tmp_path / "none.tsv")
    assert str(failed.value) == f"{tmp_path / 'none.tsv'}: glossary file not found"


def test_pattern_check(tmp_path: Path) -> None:
    src = _xml(
        tmp_path / "game.xml",
        ("p_1", "{0}의 검", "Sword of {0}"),
        ("p_2", "{0}의 {1}", "{1} of {0}"),
        ("p_3", "<PAColor0xffe9bd23>{0}<PAOldColor> 획득", "Got {0}"),
        ("p_4", "{name}<br/>님", "{Name}"),
        ("p_5", "{0}", ""),
    )
    report = tmp_path / "patterns.tsv"
    result = _run("pattern_check", [src], tmp_path, report=report)
    assert read_report(report) == [
        ["string_id", "source", "translation", "missing_in_translation", "extra_in_translation"],
        [
            "p_3",
            "<PAColor0xffe9bd23>{0}<PAOldColor> 획득",
            "Got {0}",
            "<PAColor0xffe9bd23> <PAOldColor>",
            "",
        ],
        ["p_4", "{name}<br/>님", "{Name}", "{name}", "{Name}"],
    ]
    assert result.summary == {"problems": 2}
    with_breaks = _run("pattern_check", [src], tmp_path, include_line_breaks=True)
    assert read_report(with_breaks.output_files[0])[2][3:] == ["<br/> {name}", "{Name}"]


def test_character_count_check(tmp_path: Path) -> None:
    src = _xml(
        tmp_path / "game.xml",
        ("c_1", "[검] (강화)", "[Sword] (upgraded"),
        ("c_2", "<PAColor0xff>50%</PAColor> 증가", "50% more"),
        ("c_3", "50%", "50 percent"),
    )
    report = tmp_path / "chars.tsv"
    result = _run(
        "character_count_check",
        [src],
        tmp_path,
        report=report,
        symbol_sets=["brackets"],
        extra_symbols="%",
    )
    assert read_report(report) == [
        ["string_id", "source", "translation", "symbol", "source_count", "translation_count"],
        ["c_1", "[검] (강화)", "[Sword] (upgraded", ")", "1", "0"],
        ["c_3", "50%", "50 percent", "%", "1", "0"],
    ]
    assert result.summary == {"symbols": "()[]{}<>%", "problems": 2}


def test_a_failed_check_writes_no_report(tmp_path: Path) -> None:
    good = _xml(tmp_path / "in" / "a.xml", *GAME)
    (tmp_path / "in" / "b.xml").write_text("<LanguageData>\n<LocStr", encoding="utf-8")
    reports = tmp_path / "out"
    with pytest.raises(FormatError) as caught:
        _run("line_check", [good.parent], tmp_path, report=reports / "lines.tsv")
    assert str(caught.value).startswith("b.xml: line 2:")
    assert not reports.exists() or list(reports.iterdir()) == []
    result = _run(
        "line_check", [good.parent], tmp_path, report=reports / "lines.tsv", skip_bad_files=True
    )
    assert result.warnings[0].startswith("skipped b.xml: line 2:")
    assert [p.name for p in reports.iterdir()] == ["lines.tsv"]


def test_default_report_goes_under_the_data_dir(tmp_path: Path) -> None:
    src = _xml(tmp_path / "game.xml", *GAME)
    result = _run("line_check", [src], tmp_path / "data", report_format="xlsx")
    (report,) = result.output_files
    assert report.parent == tmp_path / "data" / "reports"
    assert report.name.startswith("line_check-") and report.suffix == ".xlsx"
