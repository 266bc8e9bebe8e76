"""Export of exactly a filtered view, streamed: CSV (the csv module's quoting, UTF-8, an optional
BOM for Excel) or NDJSON, with times in ISO 8601 with their offset (UTC).

Rows come from a server-side cursor in batches, so memory stays flat however many rows there
are. PostgreSQL hands over each value as the text the file holds (times formatted, JSON as its
text; for NDJSON each whole line), so Python only writes: hundreds of thousands of rows a second.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import DateTime, Engine, Select, String, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB

from web_admin.listing import Query, statement

BATCH = 5000
BOM = "\ufeff"
_ISO_UTC = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'


def _as_text(query: Query) -> Select[Any]:
    """The view's SELECT with every time and JSON value turned into its text by PostgreSQL."""
    view = statement(query, paged=False).subquery("view")
    columns = []
    for column in view.columns:
        if isinstance(column.type, DateTime):
            utc = func.timezone(literal_column("'UTC'"), column)
            columns.append(func.to_char(utc, _ISO_UTC).label(column.name))
        elif isinstance(column.type, JSONB):
            columns.append(cast(column, String).label(column.name))
        else:
            columns.append(column)
    return select(*columns)


def _batches(engine: Engine, stmt: Select[Any]) -> Iterator[list[Any]]:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(stmt)
        yield from (list(batch) for batch in result.partitions())


def csv_chunks(engine: Engine, query: Query, bom: bool = False) -> Iterator[bytes]:
    stmt = _as_text(query)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM if bom else "")
    writer.writerow([c.name for c in stmt.selected_columns])
    for batch in _batches(engine, stmt):
        writer.writerows(batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def ndjson_chunks(engine: Engine, query: Query) -> Iterator[bytes]:
    view = statement(query, paged=False).subquery("view")
    # to_jsonb writes times as ISO 8601 with their offset, and keeps the view's column order.
    stmt = select(cast(func.to_jsonb(literal_column("view")), String))
    stmt = stmt.select_from(view)
    for batch in _batches(engine, stmt):
        yield ("\n".join(row[0] for row in batch) + "\n").encode("utf-8")
