"""Report rows for the results grids: TSV and xlsx reports read once, then paged, sorted (numbers
as numbers), filtered; a changed file is read again; a missing one is named. And the folder
listing of the in-page file picker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.filesystem import CannotList, list_folder
from engine.formats import FormatError
from engine.tasks.report_rows import ReportReader, is_report
from engine.tools.reports import write_report

HEADER = ["string_id", "score", "source"]
ROWS = [["a", "0.9", "검"], ["b", "10", "방패\t(큰)"], ["c", "2", "마법"], ["d", "", "활"]]


@pytest.mark.parametrize("fmt", ["tsv", "xlsx"])
def test_pages_sorts_and_filters_a_report(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"report.{fmt}"
    write_report(path, HEADER, ROWS, fmt)  # type: ignore[arg-type]
    assert is_report(path)
    reader = ReportReader()
    first = reader.page(path, limit=2)
    assert first.columns == HEADER and first.total == 4
    assert [r["string_id"] for r in first.rows] == ["a", "b"]
    assert reader.page(path, offset=2, limit=2).rows[1]["source"] == "활"
    by_score = reader.page(path, sort="score", descending=True)
    assert [r["score"] for r in by_score.rows] == ["", "10", "2", "0.9"]  # numbers by value
    assert [r["string_id"] for r in reader.page(path, text="방패").rows] == ["b"]
    assert reader.page(path, where={"string_id": "c"}).rows == [
        {"string_id": "c", "score": "2", "source": "마법"}
    ]
    assert reader.page(path, sort="no such column").total == 4


def test_a_changed_report_is_read_again_and_a_missing_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "report.tsv"
    write_report(path, HEADER, ROWS)
    reader = ReportReader()
    assert reader.page(path).total == 4
    write_report(path, HEADER, ROWS[:1])
    os.utime(path, ns=(1, 1))  # a different mtime even on a coarse clock
    assert reader.page(path).total == 1
    path.unlink()
    with pytest.raises(FormatError, match="moved or deleted"):
        reader.page(path)


def test_a_translated_workbook_is_not_a_report(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Sheet"
    book.save(tmp_path / "quests_translated.xlsx")
    assert not is_report(tmp_path / "quests_translated.xlsx")
    assert not is_report(tmp_path / "quests_translated.txt")


def test_folder_listing_for_the_picker(tmp_path: Path) -> None:
    (tmp_path / "b_ko.txt").write_text("나", "utf-8")
    (tmp_path / "A_ko.xlsx").write_bytes(b"x")
    (tmp_path / ".hidden").write_text("", "utf-8")
    (tmp_path / "zeta").mkdir()
    (tmp_path / "Alpha").mkdir()
    listing = list_folder(tmp_path)
    assert [i.name for i in listing.items] == ["Alpha", "zeta", "A_ko.xlsx", "b_ko.txt"]
    assert listing.parent == str(tmp_path.parent) and not listing.cut
    assert [i.name for i in list_folder(tmp_path, suffixes=[".TXT"]).items] == [
        "Alpha",
        "zeta",
        "b_ko.txt",
    ]
    assert ".hidden" in [i.name for i in list_folder(tmp_path, hidden=True).items]
    with pytest.raises(CannotList, match="not a folder"):
        list_folder(tmp_path / "b_ko.txt")
    with pytest.raises(CannotList, match="full path"):
        list_folder("relative/folder")
