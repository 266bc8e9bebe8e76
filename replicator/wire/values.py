"""SQLite values on the wire.

JSON cannot tell text from blob or 1 from 1.0, so every value travels tagged: ``["i", 5]``,
``["r", "0x1.8p+1"]`` (float.hex, exact for every double including -0.0 and infinities),
``["t", "text"]``, ``["b", "<base64>"]``, ``["n"]``. In Python the value is plain: int, float, str,
bytes or None.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

SqlValue = int | float | str | bytes | None

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def encode(value: SqlValue) -> list[Any]:
    if value is None:
        return ["n"]
    if isinstance(value, bool):
        raise ValueError("booleans are not SQLite values")
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, float):
        return ["r", value.hex()]
    if isinstance(value, str):
        return ["t", value]
    if isinstance(value, bytes):
        return ["b", base64.b64encode(value).decode("ascii")]
    raise ValueError(f"{type(value).__name__} is not a SQLite value")


def _check(value: Any) -> SqlValue:
    if isinstance(value, bool):
        raise ValueError("booleans are not SQLite values")
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, float):
        if math.isnan(value):
            raise ValueError("NaN is not a SQLite value")
        return value
    if value is None or isinstance(value, str | bytes):
        return value
    raise ValueError(f"{type(value).__name__} is not a SQLite value")


def decode(raw: Any) -> SqlValue:
    """Accept a tagged list (from JSON) or a plain Python value (from code)."""
    if not isinstance(raw, list | tuple):
        return _check(raw)
    if not raw or not isinstance(raw[0], str):
        raise ValueError('a value is a tagged list such as ["i", 5]')
    tag, rest = raw[0], raw[1:]
    if tag == "n" and not rest:
        return None
    if len(rest) != 1:
        raise ValueError(f"value tag {tag!r} takes exactly one item")
    item = rest[0]
    if tag == "i" and isinstance(item, int) and not isinstance(item, bool):
        return _check(item)
    if tag == "r" and isinstance(item, str):
        try:
            return _check(float.fromhex(item))
        except ValueError:
            raise ValueError(f"bad real {item!r}") from None
    if tag == "t" and isinstance(item, str):
        return item
    if tag == "b" and isinstance(item, str):
        try:
            return base64.b64decode(item, validate=True)
        except binascii.Error:
            raise ValueError("bad base64 in blob value") from None
    raise ValueError(f"bad value {raw!r}")


# The union is already checked by decode(); Any keeps pydantic from re-coercing it.
WireValue = Annotated[
    Any,
    BeforeValidator(decode),
    PlainSerializer(encode, return_type=list, when_used="json"),
]
