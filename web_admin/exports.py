"""Export of exactly a filtered view, streamed: CSV (UTF-8, an optional BOM for Excel) or
NDJSON, with times in ISO 8601 with their offset (UTC).

PostgreSQL hands over each value as the text the file holds (times formatted, JSON as its text).
CSV is PostgreSQL's own ``COPY ... TO STDOUT (FORMAT csv)``: RFC 4180 quoting (a field with a
comma, quote or line break is quoted, quotes doubled), written by the server and passed on in the
blocks it sends, several times faster than rows through Python's csv module. NDJSON lines are
``to_jsonb`` of each row, from a server-side cursor in batches. Memory stays flat either way.
"""

from __future__ import annotations

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
    compiled = _as_text(query).compile(dialect=engine.dialect)
    copy_sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv, HEADER)"
    if bom:
        yield BOM.encode("utf-8")
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(copy_sql, compiled.params) as copy:
            for block in copy:
                yield bytes(block)


def ndjson_chunks(engine: Engine, query: Query) -> Iterator[bytes]:
    view = statement(query, paged=False).subquery("view")
    # to_jsonb writes times as ISO 8601 with their offset, and keeps the view's column order.
    stmt = select(cast(func.to_jsonb(literal_column("view")), String))
    stmt = stmt.select_from(view)
    for batch in _batches(engine, stmt):
        yield ("\n".join(row[0] for row in batch) + "\n").encode("utf-8")
