"""newline_check, newline_adapt, combine_excel and simple_transfer on real files."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Font

from engine.errors import ToolFailed
from engine.formats import FormatError
from engine.tools.reports import read_report
from engine.tools.xls_transfer.newlines import adapt
from engine.tools.xls_transfer.selection import LARGE_FILE, check_inputs
from tests.engine.tools.xls_transfer_helpers import book, cells, leftovers, run


@pytest.mark.parametrize(
    ("source", "translation", "wrapped"),
    [
        ("가나다\n라마바", "First sentence. Second one.", "First sentence.\nSecond one."),
        ("가\n나\n다", "One! Two? Three.", "One!\nTwo?\nThree."),
        (
            "짧은 줄\n조금 더 긴 둘째 줄입니다",
            "Short one. Much longer second line here.",
            "Short one.\nMuch longer second line here.",
        ),
        ("한 줄", "Two\nlines", "Two lines"),
        ("가나다라\n마바사아", "no punctuation at all here", "no punctuation\nat all here"),
        (
            "가\n나",
            "Take {ItemName} now. Go <PAColor0xff>far away<PAOldColor>.",
            "Take {ItemName} now.\nGo <PAColor0xff>far away<PAOldColor>.",
        ),
        ("가\n나\n다", "nobreak", None),
    ],
)
def test_adapt(source, translation, wrapped):
    assert adapt(source, translation) == wrapped


def test_newline_check_excel_and_txt(tmp_path):
    xlsx = book(
        tmp_path / "a.xlsx",
        {"S": [["가\n나", "A\nB"], ["가\n나", "A B"], ["가", "A\nB"], ["가\n나", None]]},
    )
    txt = tmp_path / "b.txt"
    txt.write_bytes("0\t1\t2\t3\t4\t가<br/>나\tA\n0\t1\t2\t3\t4\t가\\n나\tA\\nB\n".encode())
    result = run("newline_check", [xlsx, txt], tmp_path)
    report = read_report(tmp_path / "a_newline_report.tsv")
    assert report == [
        ["file", "sheet", "row", "source_lines", "translation_lines", "source", "translation"],
        ["a.xlsx", "S", "2", "2", "1", "가\n나", "A B"],
        ["a.xlsx", "S", "3", "1", "2", "가", "A\nB"],
        ["b.txt", "", "1", "2", "1", "가<br/>나", "A"],
    ]
    assert result.rows_out == 3


def test_newline_adapt_writes_copies(tmp_path):
    xlsx = book(
        tmp_path / "a.xlsx", {"S": [["가\n나", "One. Two."], ["가", "ok"], ["가\n나\n다", "x"]]}
    )
    txt = tmp_path / "b.txt"
    txt.write_bytes("0\t1\t2\t3\t4\t가<br/>나\tOne. Two.\n".encode())
    result = run("newline_adapt", [xlsx, txt], tmp_path)
    assert cells(tmp_path / "a_adapted.xlsx", "S", "B") == ["One.\nTwo.", "ok", "x"]
    assert (tmp_path / "b_adapted.txt").read_text() == "0\t1\t2\t3\t4\t가<br/>나\tOne.<br/>Two.\n"
    assert result.summary == {"adapted": 2, "failed": 1}
    assert read_report(tmp_path / "a_adapt_failures.tsv")[1][:3] == ["a.xlsx", "S", "3"]
    assert leftovers(tmp_path) == []


def test_combine_excel(tmp_path):
    first = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "One"
    ws.append(["KR", "EN", "skip", "NOTE"])
    ws.append(["가", "A", "x", "n1"])
    ws["A1"].font = Font(bold=True, size=14)
    wb.create_sheet("Two").append(["나", "B", "y", "n2"])
    wb.save(first)
    second = book(tmp_path / "b.xlsx", {"S": [["KR", "EN", "", "NOTE"], ["다", "C", "z", "n3"]]})
    out = tmp_path / "out" / "all.xlsx"
    result = run(
        "combine_excel", [first, second], tmp_path, columns="A,B,D", header_rows=1, output=str(out)
    )
    ws = openpyxl.load_workbook(out)["Combined"]
    # The header comes from the first sheet only; the second sheet of a.xlsx has no header row,
    # so header_rows=1 drops its first row as well.
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["KR", "EN", "NOTE"],
        ["가", "A", "n1"],
        ["다", "C", "n3"],
    ]
    assert ws["A1"].font.bold and ws["A1"].font.size == 14
    assert result.rows_out == 3


def test_combine_excel_bad_sheet(tmp_path):
    first = book(tmp_path / "a.xlsx", {"S": [["가"]]})
    with pytest.raises(FormatError, match="a.xlsx, sheet 'X'"):
        run("combine_excel", [first], tmp_path, sheet="X")
    assert not (tmp_path / "combined.xlsx").exists()


RULE = {
    "source_sheet": "Items",
    "source_key_column": "A",
    "source_value_column": "C",
    "target_sheet": "Sheet",
    "target_key_column": "B",
    "target_column": "D",
    "first_row": 2,
}


def test_simple_transfer_with_conflicts(tmp_path):
    source = book(
        tmp_path / "src.xlsx",
        {
            "Items": [
                ["key", "", "value"],
                ["ITEM_1", "", "Sword"],
                ["ITEM_2", "", "Shield"],
                ["ITEM_2", "", "Buckler"],
                [" ITEM_3 ", "", "Bow"],
                ["ITEM_1", "", "Sword"],
            ]
        },
    )
    target = book(
        tmp_path / "dst.xlsx",
        {
            "Sheet": [
                ["", "key", "", "out"],
                ["", "ITEM_1"],
                ["", "ITEM_2", "", "old"],
                ["", "ITEM_3"],
                ["", "ITEM_9"],
            ]
        },
    )
    result = run("simple_transfer", [source, target], tmp_path, rules=json.dumps([RULE]))
    assert cells(tmp_path / "dst_transferred.xlsx", "Sheet", "D") == [
        "out",
        "Sword",
        "old",
        "Bow",
        None,
    ]
    report = read_report(tmp_path / "dst_conflicts.tsv")
    assert report[0] == ["rule", "problem", "target_row", "key", "values", "source_rows"]
    assert report[1] == [
        "1",
        "conflict",
        "3",
        "ITEM_2",
        "Shield | Buckler",
        "'Shield': rows [3]; 'Buckler': rows [4]",
    ]
    assert report[2] == ["1", "missing", "5", "ITEM_9", "", ""]
    assert result.summary == {"written": 2, "conflicts": 1, "missing": 1, "too_long": 0}


def test_simple_transfer_holds_back_a_value_longer_than_a_cell(tmp_path):
    # A workbook written by a script can hold more than Excel keeps in a cell (openpyxl cuts
    # what it writes, so the value is put into the file's XML); the other keys are still
    # transferred, and the report says which value was held back.
    made = book(tmp_path / "made.xlsx", {"Items": [["key", "", "value"], ["A", "", "LONG"],
                                                   ["B", "", "Bow"]]})  # fmt: skip
    source = tmp_path / "src.xlsx"
    with zipfile.ZipFile(made) as old, zipfile.ZipFile(source, "w") as new:
        for item in old.infolist():
            new.writestr(item, old.read(item).replace(b">LONG<", b">" + b"x" * 40_000 + b"<"))
    made.unlink()
    target = book(tmp_path / "dst.xlsx", {"Sheet": [["", "key", "", "out"], ["", "A"], ["", "B"]]})
    result = run("simple_transfer", [source, target], tmp_path, rules=json.dumps([RULE]))
    assert cells(tmp_path / "dst_transferred.xlsx", "Sheet", "D") == ["out", None, "Bow"]
    report = read_report(tmp_path / "dst_conflicts.tsv")
    assert report[1] == [
        "1",
        "too_long",
        "2",
        "A",
        "40,000 characters, more than an Excel cell holds (32,767)",
        "rows [2]",
    ]
    assert result.summary == {"written": 1, "conflicts": 0, "missing": 0, "too_long": 1}
    assert result.rows_out == 1


def test_simple_transfer_bad_inputs(tmp_path):
    source = book(tmp_path / "src.xlsx", {"Items": [["k", "", "v"]]})
    with pytest.raises(ToolFailed, match="two inputs"):
        run("simple_transfer", [source], tmp_path, rules=[RULE])
    with pytest.raises(FormatError, match="src.xlsx, sheet 'Sheet'"):
        run("simple_transfer", [source, source], tmp_path, rules=[RULE])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src.xlsx"]


def test_large_inputs_warn(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(LARGE_FILE + 1)  # sparse: no 100 MB written
    assert check_inputs([big], {".txt"}, "LocStr TXT") == [
        "big.txt: large file (100 MB), slow to process"
    ]
    with pytest.raises(FormatError, match="big.txt: not a supported Excel file"):
        check_inputs([big], {".xlsx"}, "Excel")


def test_tool_is_registered():
    from engine.tools.registry import registry

    names = [f.name for f in registry()["xls_transfer"].functions]
    assert names == [
        "build_dictionary",
        "list_dictionaries",
        "delete_dictionary",
        "transfer_excel",
        "transfer_txt",
        "newline_check",
        "newline_adapt",
        "combine_excel",
        "simple_transfer",
    ]
