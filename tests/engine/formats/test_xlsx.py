"""engine.formats.xlsx on real workbooks written by openpyxl in the test."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Alignment, Font, PatternFill

from engine.formats import FormatError
from engine.formats.xlsx import (
    ColumnSource,
    clean_cell,
    column_index,
    combine_columns,
    read_columns,
    sheet_names,
    write_cells,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def make_book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row, 1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    book.save(path)
    return path


def no_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_reads_chosen_columns_with_excel_row_numbers(tmp_path):
    book = make_book(
        tmp_path / "in.xlsx",
        {
            "Sheet A": [
                [None, None],
                ["KR", "EN", "note"],
                ["첫 줄_x000D_\n둘째 줄", "line 1\r\nline 2"],
                [12.0, 3.5],
                [None, None],
                ["빈 번역"],
            ],
            "Other": [["x"]],
        },
    )
    assert sheet_names(book) == ["Sheet A", "Other"]
    rows = list(read_columns(book, "Sheet A", [column_index("A"), column_index(2)], first_row=3))
    assert rows == [
        (3, ["첫 줄\n둘째 줄", "line 1\nline 2"]),
        (4, ["12", "3.5"]),
        (5, ["", ""]),
        (6, ["빈 번역", ""]),
    ]
    header = next(read_columns(book, "Sheet A", [0, 1, 2], first_row=2))
    assert header == (2, ["KR", "EN", "note"])


def test_leading_empty_rows_and_columns_keep_their_numbers(tmp_path):
    book = make_book(tmp_path / "in.xlsx", {"S": [[], [], [None, None, "가", "A"]]})
    assert list(read_columns(book, "S", [2, 3])) == [(1, ["", ""]), (2, ["", ""]), (3, ["가", "A"])]


@pytest.mark.parametrize(
    ("column", "index"), [("A", 0), ("b", 1), ("Z", 25), ("AA", 26), ("ab", 27), (1, 0), ("3", 2)]
)
def test_column_index(column, index):
    assert column_index(column) == index


@pytest.mark.parametrize("column", ["", "A1", "0", 0, "XFE", "가", "-1", "ABCD"])
def test_bad_column(column, tmp_path):
    with pytest.raises(FormatError, match="bad column"):
        column_index(column, tmp_path / "x.xlsx")


def test_clean_cell():
    assert clean_cell(None) == ""
    assert clean_cell(True) == "TRUE"
    assert clean_cell(7.0) == "7"
    assert clean_cell("a_x000D_\r\nb\rc") == "a\nb\nc"


def test_missing_sheet_names_the_sheets(tmp_path):
    book = make_book(tmp_path / "in.xlsx", {"Real": [["a"]]})
    with pytest.raises(
        FormatError, match=r"in.xlsx, sheet 'Nope': no sheet 'Nope' \(sheets: Real\)"
    ):
        list(read_columns(book, "Nope", [0]))


def test_empty_file(tmp_path):
    (tmp_path / "empty.xlsx").write_bytes(b"")
    with pytest.raises(FormatError, match="empty.xlsx: empty file"):
        sheet_names(tmp_path / "empty.xlsx")


def test_missing_file(tmp_path):
    with pytest.raises(FormatError, match="gone.xlsx: file not found"):
        sheet_names(tmp_path / "gone.xlsx")


def test_not_a_workbook(tmp_path):
    (tmp_path / "notes.xlsx").write_text("just text", encoding="utf-8")
    with pytest.raises(FormatError, match="notes.xlsx: not an Excel workbook"):
        sheet_names(tmp_path / "notes.xlsx")


def test_truncated_workbook_is_corrupt(tmp_path):
    good = make_book(tmp_path / "good.xlsx", {"S": [["가"] * 5] * 50})
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:600])
    with pytest.raises(FormatError, match="broken.xlsx: corrupt workbook"):
        list(read_columns(broken, "S", [0]))


def encrypted_ole(path: Path) -> Path:
    # The layout of an encrypted OOXML package: a compound file whose directory names the
    # EncryptionInfo and EncryptedPackage streams (names in UTF-16LE).
    body = bytearray(OLE_MAGIC + b"\x00" * 504)
    body += b"\x00" * 512
    for name in ("EncryptionInfo", "EncryptedPackage"):
        entry = name.encode("utf-16-le").ljust(64, b"\x00")
        body += entry + b"\x00" * 64
    path.write_bytes(bytes(body))
    return path


def test_password_protected_workbook(tmp_path):
    locked = encrypted_ole(tmp_path / "locked.xlsx")
    with pytest.raises(FormatError, match="locked.xlsx: the workbook is password-protected"):
        sheet_names(locked)
    with pytest.raises(FormatError, match="password-protected"):
        write_cells(locked, tmp_path / "out.xlsx", {})
    assert not (tmp_path / "out.xlsx").exists()


def test_ole_file_named_xlsx(tmp_path):
    odd = tmp_path / "odd.xlsx"
    odd.write_bytes(OLE_MAGIC + b"\x00" * 1024)
    with pytest.raises(FormatError, match="password-protected workbook or an old .xls"):
        sheet_names(odd)


def styled_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Strings"
    ws["A1"], ws["B1"], ws["C1"] = "KR", "EN", "=1+1"
    ws["A1"].font = Font(bold=True, color="FF0000")
    ws["B2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["B2"].alignment = Alignment(wrap_text=True)
    ws["A2"] = "검"
    ws["B2"] = "old"
    ws["D2"] = 0.25
    ws["D2"].number_format = "0.00%"
    ws.column_dimensions["B"].width = 42
    book.create_sheet("Second")["A1"] = "keep"
    book.save(path)
    return path


def test_write_cells_keeps_styles_and_other_cells(tmp_path):
    source = styled_book(tmp_path / "in.xlsx")
    target = tmp_path / "out" / "copy.xlsx"
    written = write_cells(source, target, {"Strings": {(2, 1): "Sword\nof light", (3, 1): "new"}})
    assert written == 2
    ws = openpyxl.load_workbook(target)["Strings"]
    assert ws["B2"].value == "Sword\nof light" and ws["B3"].value == "new"
    assert ws["B2"].fill.fgColor.rgb == "00FFFF00" and ws["B2"].alignment.wrap_text
    assert ws["A1"].font.bold and ws["A1"].font.color.rgb == "00FF0000"
    assert ws["C1"].value == "=1+1"
    assert ws["D2"].number_format == "0.00%"
    assert ws.column_dimensions["B"].width == 42
    assert openpyxl.load_workbook(target)["Second"]["A1"].value == "keep"
    # The source is untouched and nothing temporary is left.
    assert openpyxl.load_workbook(source)["Strings"]["B2"].value == "old"
    assert no_leftovers(target.parent) == []


def test_write_into_missing_sheet_leaves_nothing(tmp_path):
    source = styled_book(tmp_path / "in.xlsx")
    with pytest.raises(FormatError, match="sheet 'Nope'"):
        write_cells(source, tmp_path / "out.xlsx", {"Nope": {(1, 0): "x"}})
    assert not (tmp_path / "out.xlsx").exists()
    assert no_leftovers(tmp_path) == []


def test_combine_columns_keeps_styles(tmp_path):
    first = styled_book(tmp_path / "a.xlsx")
    second = make_book(
        tmp_path / "b.xlsx", {"S1": [["h1", "h2"], ["가", "A"]], "S2": [["나", "B"]]}
    )
    target = tmp_path / "combined.xlsx"
    rows = combine_columns(
        [
            ColumnSource(first, "Strings", [0, 1]),
            ColumnSource(second, "S1", [0, 1], first_row=2),
            ColumnSource(second, "S2", [0, 1]),
        ],
        target,
    )
    assert rows == 4
    ws = openpyxl.load_workbook(target)["Combined"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values == [["KR", "EN"], ["검", "old"], ["가", "A"], ["나", "B"]]
    assert ws["A1"].font.bold and ws["B2"].fill.fgColor.rgb == "00FFFF00"
    assert ws.column_dimensions["B"].width == 42
    assert no_leftovers(tmp_path) == []
