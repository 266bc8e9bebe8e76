"""Excel workbooks: fast reads with python-calamine, style-keeping writes with openpyxl.

Rows are numbered as Excel numbers them (1-based) and columns are given as letters (``"B"``) or
1-based numbers (``2`` or ``"2"``); internally a column is its 0-based index. Every cell read is
returned as text with Excel's ``_x000D_`` artefacts removed and newlines unified to ``\\n``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from engine.formats import FormatError, atomic_output

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An encrypted OOXML package is an OLE file holding these streams (names stored as UTF-16LE).
_ENCRYPTION_MARKS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_WRITABLE = {".xlsx", ".xlsm", ".xltx", ".xltm"}
_MAX_COLUMN = 16384
# The most characters an Excel cell holds; openpyxl silently cuts longer text to it.
EXCEL_CELL_LIMIT = 32767
# How a cell written for review is marked (with a comment saying why).
_REVIEW_FILL = PatternFill(fill_type="solid", start_color="FFFFEB9C", end_color="FFFFEB9C")


def clean_cell(value: Any) -> str:
    """A cell value as text: ``_x000D_`` removed, ``\\r\\n``/``\\r`` turned into ``\\n``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "TRUE" if value else "FALSE"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value)
    if "_x000D_" in text:
        text = text.replace("_x000D_", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def column_index(column: str | int, path: Path | None = None) -> int:
    """The 0-based index of a column given as letters (``"AB"``) or a 1-based number."""
    where = path or Path("columns")
    text = str(column).strip().upper()
    if text.isdigit():
        index = int(text) - 1
    elif text.isascii() and text.isalpha() and len(text) <= 3:
        index = 0
        for ch in text:
            index = index * 26 + (ord(ch) - ord("A") + 1)
        index -= 1
    else:
        raise FormatError(where, f"bad column {column!r}: use letters (B) or a number from 1")
    if not 0 <= index < _MAX_COLUMN:
        raise FormatError(where, f"bad column {column!r}: Excel has columns A to XFD")
    return index


def _check_file(path: Path) -> None:
    """Fail with a clear message for a missing, empty, encrypted or non-workbook file."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except FileNotFoundError:
        raise FormatError(path, "file not found") from None
    except OSError as exc:
        raise FormatError(path, f"cannot read the file ({exc.strerror})") from None
    if size == 0:
        raise FormatError(path, "empty file (0 bytes), not a workbook")
    if head.startswith(_OLE_MAGIC):
        if any(mark in head for mark in _ENCRYPTION_MARKS):
            raise FormatError(
                path, "the workbook is password-protected (encrypted); save a copy without password"
            )
        if path.suffix.lower() != ".xls":
            raise FormatError(
                path,
                "an OLE2 file, not an .xlsx: a password-protected workbook or an old .xls; "
                "save it as .xlsx without password",
            )
    elif not head.startswith(b"PK"):
        raise FormatError(path, "not an Excel workbook (corrupt or another kind of file)")


def _open(path: Path) -> python_calamine.CalamineWorkbook:
    _check_file(path)
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise FormatError(path, "the workbook is password-protected") from None
    except Exception as exc:  # calamine raises several kinds for a broken file
        raise FormatError(path, f"corrupt workbook ({type(exc).__name__}: {exc})") from None


def sheet_names(path: Path) -> list[str]:
    """The names of the workbook's sheets, in order."""
    return list(_open(path).sheet_names)


def _rows(book: python_calamine.CalamineWorkbook, path: Path, sheet: str) -> list[list[Any]]:
    if sheet not in book.sheet_names:
        raise FormatError(
            path, f"no sheet {sheet!r} (sheets: {', '.join(book.sheet_names)})", sheet=sheet
        )
    try:
        # skip_empty_area=False keeps row 1 and column A where Excel has them.
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise FormatError(
            path, f"corrupt sheet ({type(exc).__name__}: {exc})", sheet=sheet
        ) from None


def read_columns(
    path: Path, sheet: str, columns: Sequence[int], *, first_row: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """``(row number, [cell of each chosen column])`` for every row from ``first_row`` on; cells
    past the end of a row read as ``""``."""
    rows = _rows(_open(path), path, sheet)
    for number, row in enumerate(rows[first_row - 1 :], start=first_row):
        width = len(row)
        yield number, [clean_cell(row[c]) if c < width else "" for c in columns]


@dataclass(frozen=True)
class ColumnSource:
    """Columns of one sheet of one workbook, to combine."""

    path: Path
    sheet: str
    columns: Sequence[int]
    first_row: int = 1


def _load_for_write(path: Path) -> openpyxl.Workbook:
    _check_file(path)
    if path.suffix.lower() not in _WRITABLE:
        raise FormatError(path, f"cannot write into a {path.suffix} file; save it as .xlsx")
    try:
        return openpyxl.load_workbook(path, rich_text=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise FormatError(path, f"corrupt workbook ({type(exc).__name__}: {exc})") from None


def write_cells(
    source: Path,
    target: Path,
    updates: Mapping[str, Mapping[tuple[int, int], str]],
    *,
    marks: Mapping[str, Mapping[tuple[int, int], str]] | None = None,
) -> int:
    """Write a copy of ``source`` to ``target`` (atomically) with ``updates[sheet][(row, column)]``
    set (row 1-based, column 0-based); styles, formulas and other cells are kept. A cell in
    ``marks`` is also marked for review: a yellow fill and the note as a comment. A value longer
    than an Excel cell holds fails the write (openpyxl would cut it). Returns how many cells were
    written."""
    book = _load_for_write(source)
    written = 0
    for sheet, cells in updates.items():
        if sheet not in book.sheetnames:
            raise FormatError(source, f"no sheet {sheet!r}", sheet=sheet)
        ws = book[sheet]
        notes = (marks or {}).get(sheet, {})
        for (row, column), value in cells.items():
            if isinstance(value, str) and len(value) > EXCEL_CELL_LIMIT:
                raise FormatError(
                    source,
                    f"a value of {len(value):,} characters for column "
                    f"{get_column_letter(column + 1)}: more than an Excel cell holds "
                    f"({EXCEL_CELL_LIMIT:,})",
                    sheet=sheet,
                    row=row,
                )
            cell = ws.cell(row=row, column=column + 1)
            cell.value = value
            note = notes.get((row, column))
            if note:
                cell.fill = _REVIEW_FILL
                cell.comment = Comment(note, "LocaNext")
            written += 1
    with atomic_output(target) as tmp:
        book.save(tmp)
    return written


def _copy_cell(src: Any, dst: Any) -> None:
    dst.value = src.value
    if src.has_style:
        dst.font = copy(src.font)
        dst.fill = copy(src.fill)
        dst.border = copy(src.border)
        dst.alignment = copy(src.alignment)
        dst.number_format = src.number_format
        dst.protection = copy(src.protection)


def combine_columns(
    parts: Sequence[ColumnSource], target: Path, sheet_title: str = "Combined"
) -> int:
    """Stack the chosen columns of every part into one sheet of a new workbook, cell styles and
    column widths kept (widths from the first part that sets them). Returns the rows written."""
    out = openpyxl.Workbook()
    ws = out.active
    ws.title = sheet_title
    next_row = 1
    sized: set[int] = set()
    for part in parts:
        book = _load_for_write(part.path)
        if part.sheet not in book.sheetnames:
            raise FormatError(part.path, f"no sheet {part.sheet!r}", sheet=part.sheet)
        src = book[part.sheet]
        for offset, column in enumerate(part.columns, start=1):
            # Look the dimension up without creating it: openpyxl invents a width for new ones.
            dim = src.column_dimensions.get(get_column_letter(column + 1))
            if offset not in sized and dim is not None and dim.customWidth:
                ws.column_dimensions[get_column_letter(offset)].width = dim.width
                sized.add(offset)
        for row in range(part.first_row, src.max_row + 1):
            cells = [src.cell(row=row, column=c + 1) for c in part.columns]
            if all(c.value is None for c in cells):
                continue
            for offset, cell in enumerate(cells, start=1):
                _copy_cell(cell, ws.cell(row=next_row, column=offset))
            next_row += 1
        book.close()
    with atomic_output(target) as tmp:
        out.save(tmp)
    return next_row - 1
