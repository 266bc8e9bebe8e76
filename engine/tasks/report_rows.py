"""The rows of a finished run's report, a page at a time: what the results grids show.

A report (every tool writes one, see :mod:`engine.tools.reports`) is a TSV file, or an xlsx
workbook whose sheet is named ``report``. It is read once and kept (a few at a time, keyed by path,
size and modification time), so the next page, another sort or a filter costs no new run and no
new read. Sorting compares numbers as numbers and text by code point; a filter keeps the rows with
the text in any column.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from engine.formats import FormatError

REPORT_SHEET = "report"
# Reports kept parsed in memory (the newest ones looked at).
KEEP = 4
# Widest report read from a workbook.
MAX_COLUMNS = 64


@dataclass(frozen=True)
class ReportPage:
    columns: list[str]
    rows: list[dict[str, str]]
    total: int  # rows matching the filter
    offset: int


def is_report(path: Path) -> bool:
    """A TSV file, or an xlsx workbook with a ``report`` sheet (not a translated copy)."""
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return True
    if suffix != ".xlsx" or not path.is_file():
        return False
    from engine.formats.xlsx import sheet_names  # calamine: only when a workbook is asked about

    try:
        return REPORT_SHEET in sheet_names(path)
    except FormatError:
        return False


def _read(path: Path) -> list[list[str]]:
    if path.suffix.lower() == ".tsv":
        from engine.tools.reports import read_report

        return read_report(path)
    from engine.formats.xlsx import read_columns

    return [cells for _, cells in read_columns(path, REPORT_SHEET, range(MAX_COLUMNS))]


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _sort_key(value: str) -> tuple[int, float, str]:
    number = _number(value) if value else None
    return (0, number, "") if number is not None else (1, 0.0, value)


class ReportReader:
    """Parsed reports, shared by every page of the app (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, int, int], tuple[list[str], list[list[str]]]] = (
            OrderedDict()
        )

    def _load(self, path: Path) -> tuple[list[str], list[list[str]]]:
        try:
            stat = path.stat()
        except OSError:
            raise FormatError(path, "file not found (moved or deleted since the run)") from None
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rows = _read(path)
        if not rows:
            raise FormatError(path, "the report is empty")
        header, data = list(rows[0]), rows[1:]
        while header and not header[-1]:  # a workbook's row is read MAX_COLUMNS wide
            header.pop()
        width = len(header)
        data = [(r + [""] * width)[:width] for r in data]
        with self._lock:
            self._cache[key] = (header, data)
            while len(self._cache) > KEEP:
                self._cache.popitem(last=False)
        return header, data

    def page(
        self,
        path: Path,
        *,
        offset: int = 0,
        limit: int = 50,
        sort: str | None = None,
        descending: bool = False,
        text: str = "",
        where: dict[str, str] | None = None,
    ) -> ReportPage:
        """One page of the report's rows (as column -> value), those holding ``text`` and having
        the values of ``where``, sorted by ``sort``; raises FormatError for a missing or
        unreadable report."""
        header, data = self._load(path)
        rows = data
        for column, value in (where or {}).items():
            if column in header:
                index = header.index(column)
                rows = [r for r in rows if r[index] == value]
        needle = text.strip().casefold()
        if needle:
            rows = [r for r in rows if any(needle in v.casefold() for v in r)]
        if sort in header:
            index = header.index(sort)
            rows = sorted(rows, key=lambda r: _sort_key(r[index]), reverse=descending)
        offset, limit = max(0, offset), max(1, min(limit, 1000))
        chosen = rows[offset : offset + limit]
        return ReportPage(
            columns=list(header),
            rows=[dict(zip(header, r, strict=True)) for r in chosen],
            total=len(rows),
            offset=offset,
        )
