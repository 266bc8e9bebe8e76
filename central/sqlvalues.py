"""SQLite values in PostgreSQL: the exact form kept in crr_clock, the typed form in mirror tables,
and cr-sqlite's ordering for breaking ties between two values."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Double, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeEngine

from replicator.wire import SqlValue

# The longest text a Label column holds in the typed mirror.
LABEL_CHARS = 200


class Label(Text):
    """A short text the mirror indexes (a name, a status, an install id). A btree index entry
    cannot hold an arbitrarily long value, and one install's odd value must never make a merge
    fail: a longer value goes to the typed mirror as NULL, while its clock keeps it exactly."""


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
    kind, _, vint, vreal, vbytes = clock_parts(value)
    return {"vtype": kind, "vint": vint, "vreal": vreal, "vbytes": vbytes}


def clock_parts(value: SqlValue) -> tuple[int, int, Any, Any, Any]:
    """(vtype, type rank, vint, vreal, vbytes) of ``value``: :func:`to_clock` as a tuple, for the
    merge's hot path."""
    kind = type(value)
    if kind is str:
        return TEXT, 2, None, None, value.encode("utf-8")  # type: ignore[union-attr]
    if kind is int:
        return INTEGER, 4, value, None, None
    if kind is float:
        return REAL, 3, None, value, None
    if value is None:
        return NULL, 0, None, None, None
    if kind is bool:  # never from SQLite, but an int all the same
        return INTEGER, 4, int(value), None, None
    return BLOB, 1, None, None, bytes(value)  # type: ignore[arg-type]


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


_INT64 = range(-(2**63), 2**63)


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # PostgreSQL's jsonb refuses NaN and Infinity


# Made once: json.loads and json.dumps with options build a new coder on every call.
_JSON_IN = json.JSONDecoder(parse_constant=_json_constant)
_JSON_OUT = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


# A \u0000 escape (not an escaped backslash followed by "u0000") in json.dumps's output.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _jsonb(value: str) -> tuple[Any, str] | None:
    """The parsed JSON text and the text PostgreSQL's jsonb accepts for it, or None when jsonb
    cannot hold it: not JSON, NaN or Infinity (also a number such as 1e400 that only a double's
    infinity holds), a lone UTF-16 surrogate escape, a NUL, or nesting deeper than parsers go."""
    try:
        parsed = _JSON_IN.decode(value)
        canonical = _JSON_OUT.encode(parsed)
        canonical.encode("utf-8")  # a lone surrogate cannot be encoded
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return None
    if "\\u0000" in canonical and _NUL_ESCAPE.search(canonical):
        return None
    return parsed, canonical


def _timestamptz(value: str) -> datetime | None:
    """An ISO time as a UTC moment (naive means UTC), or None. PostgreSQL takes offsets up to
    15:59 only, so the moment goes over in UTC; one outside Python's years 1-9999 in UTC is None."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def to_mirror(value: SqlValue, column_type: TypeEngine) -> Any:
    """The value for a typed mirror column, or None when it does not fit the type."""
    if value is None:
        return None
    if isinstance(column_type, Boolean):
        return bool(value) if isinstance(value, int | float) else None
    if isinstance(column_type, BigInteger):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return value if isinstance(value, int) and value in _INT64 else None
    if isinstance(column_type, Double):
        return float(value) if isinstance(value, int | float) else None
    if isinstance(column_type, DateTime):
        return _timestamptz(value) if isinstance(value, str) else None
    if isinstance(column_type, JSONB):
        held = _jsonb(value) if isinstance(value, str) else None
        return None if held is None else held[0]
    if isinstance(column_type, Text):
        if isinstance(value, bytes):
            return None
        text = value if isinstance(value, str) else repr(value)
        if isinstance(column_type, Label) and len(text) > LABEL_CHARS:
            return None
        return text.replace("\x00", "") if "\x00" in text else text
    return None


def literal_maker(column_type: TypeEngine) -> Callable[[SqlValue], str | None]:
    """:func:`to_mirror_literal` for one column type, quicker on the usual text: the merge stages
    every cell this way."""
    if isinstance(column_type, Text):
        longest = LABEL_CHARS if isinstance(column_type, Label) else math.inf

        def text(value: SqlValue) -> str | None:
            if type(value) is str and "\x00" not in value and len(value) <= longest:
                return value
            return to_mirror_literal(value, column_type)

        return text
    return functools.partial(to_mirror_literal, column_type=column_type)


def to_mirror_literal(value: SqlValue, column_type: TypeEngine) -> str | None:
    """:func:`to_mirror` as the text PostgreSQL parses back into the column's type (for COPY);
    :func:`literal_maker` takes the usual text faster."""
    if isinstance(column_type, JSONB):
        held = _jsonb(value) if isinstance(value, str) else None
        return None if held is None else held[1]
    typed = to_mirror(value, column_type)
    if typed is None:
        return None
    if isinstance(typed, bool):
        return "true" if typed else "false"
    if isinstance(typed, float):
        if math.isinf(typed):
            return "Infinity" if typed > 0 else "-Infinity"
        return repr(typed)
    if isinstance(typed, datetime):
        return typed.isoformat()
    return str(typed)
