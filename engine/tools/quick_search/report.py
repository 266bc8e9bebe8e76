"""Exportable reports of the Quick Search and Similar Strings functions: TSV or xlsx.

Both are written through :func:`engine.formats.atomic_output`, so a failed run leaves no
half-written report. TSV follows the csv module's quoting (a field holding a tab, a newline or a
double quote is quoted), which Excel and LibreOffice read back unchanged. In xlsx every text is
stored as text, so a translation starting with ``=`` never turns into a formula.
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

from engine.formats import atomic_output
from engine.tools.base import ToolCall

ReportFormat = Literal["tsv", "xlsx"]


class ReportParams(BaseModel):
    """Parameters every function with a report shares."""

    model_config = ConfigDict(extra="forbid")
    report: Path | None = Field(
        None, description="Write the report to this file (default: a new file under reports/)."
    )
    report_format: ReportFormat = Field("tsv", description="Report file type: tsv or xlsx.")


# Control characters that the xlsx XML cannot hold.
_NOT_XLSX = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def report_path(call: ToolCall[ReportParams], stem: str) -> Path:
    """The ``report`` parameter, or a fresh file under ``<data dir>/reports``."""
    if call.params.report:
        return call.params.report
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return call.data_dir / "reports" / f"{stem}-{stamp}.{call.params.report_format}"


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=_NOT_XLSX.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def write_report(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]], fmt: ReportFormat = "tsv"
) -> int:
    """Write a header and rows to ``path`` as TSV or xlsx; return the number of rows."""
    count = 0
    with atomic_output(path) as tmp:
        if fmt == "xlsx":
            book = Workbook(write_only=True)
            sheet = book.create_sheet("report")
            sheet.append(list(header))
            for row in rows:
                sheet.append([_xlsx_cell(sheet, v) for v in row])
                count += 1
            book.save(tmp)
        else:
            with tmp.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter="\t", lineterminator="\n")
                writer.writerow(header)
                for row in rows:
                    writer.writerow(row)
                    count += 1
    return count
