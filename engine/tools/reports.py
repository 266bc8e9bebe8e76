"""Reports and output files of every tool: where they go and how a report is written.

Where: a function writes beside its input (``<stem>_<tag><suffix>``, :func:`output_path`), or,
when it has no natural place, to a new time-stamped file under ``<data dir>/reports``
(:func:`dated_path`, :func:`report_path`).

How: a report is a header row and data rows, written through :func:`engine.formats.atomic_output`
(a failed run leaves no half-written file), as TSV or xlsx.

* **TSV** is the csv module's ``excel-tab`` dialect in **UTF-8 with a byte-order mark**: the mark
  makes Excel read the file as UTF-8 (without it Excel guesses the system code page and Korean
  text turns to mojibake), and LibreOffice and ``csv`` readers take it in their stride. Lines end
  with CRLF; a value holding a tab, a double quote, a carriage return or a newline is wrapped in
  double quotes, inner quotes doubled, so every value reads back unchanged. (With ``\\n`` line
  ends the csv module would leave a lone carriage return unquoted and unreadable.)
* **xlsx** stores every text as text, so a translation starting with ``=`` never turns into a
  formula; control characters that xlsx cannot hold become U+FFFD. A value longer than an Excel
  cell holds (32,767 characters) fails the report rather than being cut: choose TSV for it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from pydantic import BaseModel, ConfigDict, Field

from engine.errors import ToolFailed
from engine.formats import FormatError, atomic_output
from engine.formats.xlsx import EXCEL_CELL_LIMIT
from engine.tools.base import ToolCall

ReportFormat = Literal["tsv", "xlsx"]
TSV_ENCODING = "utf-8-sig"
TSV_DIALECT = "excel-tab"
# Control characters that the xlsx XML cannot hold.
_NOT_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ReportParams(BaseModel):
    """Parameters every function with a chosen-or-dated report shares."""

    model_config = ConfigDict(extra="forbid")
    report: Path | None = Field(
        None, description="Write the report to this file (default: a new file under reports/)."
    )
    report_format: ReportFormat = Field("tsv", description="Report file type: tsv or xlsx.")


def dated_path(data_dir: Path, stem: str, suffix: str) -> Path:
    """A new file ``<data dir>/reports/<stem>-<date>-<time>.<suffix>`` (microseconds, so two runs
    never share one)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return data_dir / "reports" / f"{stem}-{stamp}.{suffix}"


def report_path(call: ToolCall[ReportParams], stem: str) -> Path:
    """The ``report`` parameter, or a dated file under ``<data dir>/reports``."""
    if call.params.report:
        return call.params.report
    return dated_path(call.data_dir, stem, call.params.report_format)


def output_path(source: Path, folder: str, tag: str, suffix: str | None = None) -> Path:
    """``<folder or source's folder>/<stem>_<tag><suffix or source's suffix>``."""
    base = Path(folder) if folder else source.parent
    return base / f"{source.stem}_{tag}{suffix or source.suffix}"


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if len(value) > EXCEL_CELL_LIMIT:
        raise ToolFailed(
            f"a report value of {len(value):,} characters is more than an Excel cell holds "
            f"({EXCEL_CELL_LIMIT:,}); write the report as tsv"
        )
    cell = WriteOnlyCell(sheet, value=_NOT_XLSX.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def _write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("report")
    count = 0
    try:
        sheet.append(list(header))
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
            count += 1
    except BaseException:
        # Finish openpyxl's row writer, which otherwise fails noisily when collected half-way.
        sheet.close()
        raise
    book.save(path)
    return count


def _write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with path.open("w", encoding=TSV_ENCODING, newline="") as out:
        writer = csv.writer(out, dialect=TSV_DIALECT)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def write_report(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: ReportFormat = "tsv"
) -> int:
    """Write a header and rows to ``path`` as TSV or xlsx; return the number of data rows."""
    with atomic_output(path) as tmp:
        return (_write_xlsx if fmt == "xlsx" else _write_tsv)(tmp, header, rows)


def read_report(path: Path) -> list[list[str]]:
    """A TSV report (or any tab-separated UTF-8 file, with or without a byte-order mark) back as
    rows, header first."""
    try:
        with path.open(encoding=TSV_ENCODING, newline="") as f:
            return list(csv.reader(f, dialect=TSV_DIALECT))
    except FileNotFoundError:
        raise FormatError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise FormatError(path, f"not tab-separated text ({exc})") from None
