"""Reports as TSV files: one header row, values quoted as spreadsheet programs expect (a value
holding a tab, a quote or a newline is wrapped in double quotes), written atomically."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from engine.formats import atomic_output


def write_tsv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write the report; returns the number of data rows."""
    count = 0
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def read_tsv(path: Path) -> list[list[str]]:
    """A report back as rows (header first); used by tests and by callers that chain reports."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, delimiter="\t"))
