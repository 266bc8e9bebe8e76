"""Export of exactly a filtered view, streamed: CSV (the csv module's quoting, UTF-8, an optional
BOM for Excel) or NDJSON, with times in ISO 8601 with their offset. Rows come from a server-side
cursor in batches, so memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from web_admin.listing import Query, statement

BATCH = 5000
BOM = "\ufeff"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _rows(engine: Engine, query: Query) -> Iterator[list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
            statement(query, paged=False)
        )
        yield list(result.keys())  # type: ignore[misc]
        yield from (list(batch) for batch in result.partitions())


def csv_chunks(engine: Engine, query: Query, bom: bool = False) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = _rows(engine, query)
    header = next(rows)
    buffer.write(BOM if bom else "")
    writer.writerow(header)
    for batch in rows:
        writer.writerows([_cell(v) for v in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def ndjson_chunks(engine: Engine, query: Query) -> Iterator[bytes]:
    rows = _rows(engine, query)
    header = next(rows)
    for batch in rows:
        lines = (
            json.dumps(dict(zip(header, map(_plain, row), strict=True)), ensure_ascii=False)
            for row in batch
        )
        yield ("\n".join(lines) + "\n").encode("utf-8")
