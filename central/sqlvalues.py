"""SQLite values in PostgreSQL: the exact form kept in crr_clock, the typed form in mirror tables,
and cr-sqlite's ordering for breaking ties between two values."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Double, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from replicator.wire import SqlValue

NULL, INTEGER, REAL, TEXT, BLOB = 0, 1, 2, 3, 4
# cr-sqlite compares values of different types by type first: NULL < BLOB < TEXT < REAL < INTEGER.
_TYPE_RANK = {NULL: 0, BLOB: 1, TEXT: 2, REAL: 3, INTEGER: 4}


def vtype(value: SqlValue) -> int:
    if value is None:
        return NULL
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return REAL
    if isinstance(value, str):
        return TEXT
    return BLOB


def to_clock(value: SqlValue) -> dict[str, Any]:
    """Columns vtype/vint/vreal/vbytes of crr_clock holding ``value`` exactly."""
    kind = vtype(value)
    return {
        "vtype": kind,
        "vint": value if kind == INTEGER else None,
        "vreal": value if kind == REAL else None,
        "vbytes": value.encode("utf-8") if kind == TEXT else value if kind == BLOB else None,
    }


def from_clock(kind: int, vint: int | None, vreal: float | None, vbytes: bytes | None) -> SqlValue:
    if kind == INTEGER:
        return vint
    if kind == REAL:
        return vreal
    if kind == TEXT:
        return bytes(vbytes or b"").decode("utf-8")
    if kind == BLOB:
        return bytes(vbytes or b"")
    return None


def sort_key(value: SqlValue) -> tuple[int, Any]:
    """Order of cr-sqlite's value tie-break: type, then numbers by value, text/blob by bytes."""
    kind = vtype(value)
    if kind == TEXT:
        assert isinstance(value, str)
        return _TYPE_RANK[kind], value.encode("utf-8")
    return _TYPE_RANK[kind], value if value is not None else 0


def to_mirror(value: SqlValue, column_type: TypeEngine) -> Any:
    """The value for a typed mirror column, or None when it does not fit the type."""
    if value is None:
        return None
    if isinstance(column_type, Boolean):
        return bool(value) if isinstance(value, int | float) else None
    if isinstance(column_type, BigInteger):
        if isinstance(value, int):
            return value
        return int(value) if isinstance(value, float) and value.is_integer() else None
    if isinstance(column_type, Double):
        return float(value) if isinstance(value, int | float) else None
    if isinstance(column_type, DateTime):
        if not isinstance(value, str):
            return None
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(column_type, JSONB):
        if not isinstance(value, str):
            return None
        try:
            return json.loads(value)
        except ValueError:
            return None
    if isinstance(column_type, Text):
        if isinstance(value, bytes):
            return None
        text = value if isinstance(value, str) else repr(value)
        return text.replace("\x00", "") if "\x00" in text else text
    return None
