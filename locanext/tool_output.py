"""What `locanext tool` prints on stdout after a run: a short summary and a table of results.

The summary is the run's figures on one line (``files 3 · lines 120``). The table is the first
rows of the run's report (search hits, check findings...), the file every tool writes; a run
without a report shows a list of rows from its summary instead (such as search hits). Cells are
cut to a width that keeps the table on a terminal, counting wide (Korean) characters as two
columns; line breaks inside a value show as ``⏎``. ``--json`` prints the whole record instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.cells import cell_len, set_cell_size

# Widest cell shown, in terminal columns; the report file keeps the whole value.
CELL_WIDTH = 40
# Narrowest a column gets when the table is squeezed into the terminal's width.
MIN_CELL_WIDTH = 8
GAP = "  "


def _scalar(value: Any) -> str | None:
    """A summary value as text, or None for a value that belongs in a table."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return f"{value:,}" if isinstance(value, int) else str(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) or "none"
    return None


def summary_line(summary: dict[str, Any]) -> str:
    parts = []
    for key, value in summary.items():
        shown = _scalar(value)
        if shown is not None:
            parts.append(f"{key.replace('_', ' ')} {shown}")
    return " · ".join(parts)


def summary_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """The first list of records in the summary, as a header and rows (None when there is
    none)."""
    for value in summary.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            header = list(value[0])
            return header, [[str(v.get(k, "")) for k in header] for v in value]
    return None


def _flat(value: str) -> str:
    return value.replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎").replace("\t", " ")


def _cell(flat: str, width: int) -> str:
    if cell_len(flat) > width:
        flat = set_cell_size(flat, width - 1) + "…"
    return set_cell_size(flat, width)


def _fit(widths: list[int], room: int) -> list[int]:
    """Narrow the widest columns (not below MIN_CELL_WIDTH) until the row fits in ``room``."""
    widths = list(widths)
    while sum(widths) + len(GAP) * (len(widths) - 1) > room:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= MIN_CELL_WIDTH:
            break
        widths[widest] -= 1
    return widths


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], room: int | None = None
) -> Iterator[str]:
    """Aligned columns, a rule under the header, each cell at most CELL_WIDTH columns wide and
    the whole row within ``room`` columns (default: the terminal's width) where it can be."""
    flat = [[_flat(v) for v in row] for row in rows]
    widths = [
        min(CELL_WIDTH, max([cell_len(name), *(cell_len(r[i]) for r in flat if i < len(r))]))
        for i, name in enumerate(header)
    ]
    widths = _fit(widths, room if room is not None else shutil.get_terminal_size((160, 24))[0])

    def line(values: Sequence[str]) -> str:
        cells = [_cell(values[i] if i < len(values) else "", w) for i, w in enumerate(widths)]
        return GAP.join(cells).rstrip()

    yield line(header)
    yield GAP.join("─" * w for w in widths)
    for row in flat:
        yield line(row)


def report_table(path: Path, limit: int) -> Iterator[str]:
    """The first ``limit`` rows of a report as a table, and how many more the file holds."""
    from engine.formats import FormatError
    from engine.tasks.report_rows import ReportReader

    try:
        page = ReportReader().page(path, limit=limit)
    except FormatError as exc:
        yield f"(the report cannot be shown: {exc})"
        return
    if page.total == 0:
        yield f"{path.name}: no rows"
        return
    yield from table(page.columns, [[row[c] for c in page.columns] for row in page.rows])
    if page.total > len(page.rows):
        yield f"… {page.total - len(page.rows):,} more rows in {path}"
