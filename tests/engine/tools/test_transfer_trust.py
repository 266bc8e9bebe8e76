"""XLS Transfer on catalogs shaped like real ones: nothing written cut, whitespace kept,
placeholders checked on every fill, several translations of a source reported, fuzzy fills
showing what they matched."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from engine.dictionaries import DictionaryStore
from engine.errors import ToolFailed
from engine.formats import Entry, FormatError
from engine.formats.xlsx import write_cells
from engine.tools.reports import read_report, write_report
from engine.tools.xls_transfer.dictionary import KIND, NORMALIZED, SPLIT, WHOLE
from engine.tools.xls_transfer.matcher import Matcher
from tests.engine.tools.xls_transfer_helpers import book, cells, run

LONG = "가" * 40_000


def _report(path: Path) -> list[dict[str, str]]:
    header, *rows = read_report(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _build(tmp_path: Path, rows: list[list[object]]) -> Path:
    data = tmp_path / "data"
    run("build_dictionary", [book(tmp_path / "dict.xlsx", {"S": rows})], data, name="d")
    return data


def _transfer(tmp_path: Path, data: Path, sources: list[str], **params: object):
    target = book(tmp_path / "target.xlsx", {"S": [[s] for s in sources]})
    result = run("transfer_excel", [target], data, dictionary="d", **params)
    return (
        result,
        cells(tmp_path / "target_translated.xlsx", "S", "B"),
        _report(tmp_path / "target_transfer_report.tsv"),
    )


def test_a_translation_too_long_for_a_cell_is_never_written_cut(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # A dictionary may hold a text longer than an Excel cell (saved by another tool).
    entries = [Entry("", "긴 글", LONG, SPLIT), Entry("", "짧은 글", "Short", SPLIT)]
    DictionaryStore(data, KIND).save("d", entries, {NORMALIZED: True})
    result, written, report = _transfer(tmp_path, data, ["긴 글", "짧은 글"])
    assert written == [None, "Short"]
    assert report[0]["written"] == "no" and report[0]["needs_review"] == "yes"
    assert "more than an Excel cell holds (32,767)" in report[0]["problem"]
    assert result.summary["not_written"] == 1 and result.rows_out == 1
    assert any("not written" in w for w in result.warnings)


def test_a_workbook_cell_at_excels_limit_is_left_out_of_a_build(tmp_path: Path) -> None:
    source = tmp_path / "dict.xlsx"
    book(source, {"S": [["검", "Sword"], ["긴 글", "x" * 32_767]]})
    result = run("build_dictionary", [source], tmp_path / "data", name="d")
    assert result.summary["entries"] == 1
    assert result.warnings == [
        "dict.xlsx / S, row 2: left out, a cell reaches Excel's limit of 32,767 characters "
        "(it may have been cut)"
    ]


def test_whitespace_the_translator_put_there_stays(tmp_path: Path) -> None:
    data = _build(
        tmp_path,
        [["、", ", "], ["\n안녕\n", "\nHello\n"], ["끝 ", " the end"], ["이름:", "Name: "]],
    )
    _result, written, _report_rows = _transfer(
        tmp_path, data, ["、", "\n안녕\n", "안녕", "끝", "이름:"]
    )
    # The translation's own spaces stay; the lines framing it follow the target's source.
    assert written == [", ", "\nHello\n", "Hello", " the end", "Name: "]


def test_fills_whose_placeholders_differ_are_held_for_review(tmp_path: Path) -> None:
    data = _build(
        tmp_path,
        [
            ["%s의 검을 얻었다", "You got %s's sword"],
            ["{count, plural, other {#개의 방패}}", "{count, plural, other {# shields}}"],
            ["<b>경고</b> 위험", "<b>Warning</b> danger"],
            ["%d개 남음", "%s left"],
        ],
    )
    result, written, report = _transfer(
        tmp_path,
        data,
        [
            "%s의 검을 얻었다",  # exact, same placeholders: written
            "%d의 검을 얻었다",  # fuzzy: %s kept from the dictionary, target has %d
            "{count, plural, other {#개의 방패}}",  # ICU, exact: written
            "<i>경고</i> 위험",  # fuzzy: the dictionary's <b> tags
            "%d개 남음",  # exact, but the dictionary translation has %s for %d
        ],
        threshold=0.8,
    )
    assert written == [
        "You got %s's sword",
        None,
        "{count, plural, other {# shields}}",
        None,
        None,
    ]
    assert [r["written"] for r in report] == ["yes", "no", "yes", "no", "no"]
    assert [r["needs_review"] for r in report] == ["", "yes", "", "yes", "yes"]
    assert report[1]["missing_tags"] == "%d" and report[1]["extra_placeholders"] == "%s"
    assert report[3]["missing_tags"] == "</i> <i>"
    assert report[4]["problem"] == "placeholders differ from the source's"
    assert result.summary["not_written"] == 3


def test_write_for_review_marks_the_cell(tmp_path: Path) -> None:
    data = _build(tmp_path, [["%d개 남음", "%s left"], ["검", "Sword"]])
    result, written, report = _transfer(tmp_path, data, ["%d개 남음", "검"], write_for_review=True)
    assert written == ["%s left", "Sword"]
    assert [r["written"] for r in report] == ["marked", "yes"]
    sheet = openpyxl.load_workbook(tmp_path / "target_translated.xlsx")["S"]
    assert sheet["B1"].fill.fgColor.rgb == "FFFFEB9C"
    assert "placeholders differ" in sheet["B1"].comment.text
    assert "missing: %d; extra: %s" in sheet["B1"].comment.text
    assert sheet["B2"].comment is None
    assert result.summary["marked_for_review"] == 1


def test_several_translations_of_one_source_are_reported(tmp_path: Path) -> None:
    data = _build(
        tmp_path,
        [["열기", "Open"], ["열기", "Opening"], ["열기", "Open"], ["닫기", "Close"]],
    )
    result, written, report = _transfer(tmp_path, data, ["열기", "닫기"])
    assert written == ["Open", "Close"]
    assert report[0]["alternatives"] == "Opening" and report[0]["needs_review"] == "yes"
    assert report[1]["alternatives"] == "" and report[1]["needs_review"] == ""
    assert result.summary["ambiguous"] == 1


def test_a_fuzzy_fill_names_its_match_its_score_and_the_differences(tmp_path: Path) -> None:
    data = _build(tmp_path, [["전설의 검을 높이 들어라", "Raise the legendary sword"]])
    _result, written, report = _transfer(tmp_path, data, ["전설의 창을 높이 들어라"], threshold=0.9)
    assert written == ["Raise the legendary sword"]
    row = report[0]
    assert row["match"] == "fuzzy" and row["score"] == "0.9231"
    assert row["matched_source"] == "전설의 검을 높이 들어라"
    assert row["differences"] == "전설의 [-검을-]{+창을+} 높이 들어라"
    assert row["needs_review"] == "yes"


def test_an_xlsx_report_refuses_a_value_it_would_cut(tmp_path: Path) -> None:
    with pytest.raises(ToolFailed, match="32,767"):
        write_report(tmp_path / "r.xlsx", ["a"], [["ok"], [LONG]], "xlsx")
    assert list(tmp_path.iterdir()) == []


def test_no_workbook_write_cuts_a_value(tmp_path: Path) -> None:
    source = book(tmp_path / "t.xlsx", {"S": [["검"]]})
    with pytest.raises(FormatError, match=r"t.xlsx, sheet 'S', row 1: a value of 40,000"):
        write_cells(source, tmp_path / "out.xlsx", {"S": {(1, 1): LONG}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_exact_matches_are_checked_where_the_build_found_differences() -> None:
    entries = [
        Entry("", "가", "A", WHOLE),
        Entry("", "%d개", "%s", SPLIT),
        Entry("", "나 {0}", "B", WHOLE),
        Entry("", "다", "C", SPLIT),
    ]
    texts = ["가", "%d개", "나 {0}", "다"]
    told = Matcher(entries, 1.0, differing=[1, 2]).match_many(texts)
    unknown = Matcher(entries, 1.0).match_many(texts)
    assert told == unknown
    assert [(m.missing_tags, m.extra_placeholders) for m in told] == [
        ([], []),
        (["%d"], ["%s"]),
        (["{0}"], []),
        ([], []),
    ]
