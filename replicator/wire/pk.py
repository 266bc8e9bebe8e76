"""cr-sqlite's packed primary-key format (0.16), read from its source.

Byte 0 is the column count. Each column has a header byte ``(n << 3) | type`` with type 1 INTEGER,
2 REAL, 3 TEXT, 4 BLOB, 5 NULL:
- INTEGER: ``n`` big-endian bytes; unsigned when n < 8, two's complement when n == 8.
- REAL: header n = 0, then 8 bytes big-endian IEEE-754.
- TEXT/BLOB: an ``n``-byte big-endian length, then the data.
Examples: X'010901' = (1); X'0209040905' = (4, 5).
"""

from __future__ import annotations

import struct

from replicator.wire.values import SqlValue

INTEGER, REAL, TEXT, BLOB, NULL = 1, 2, 3, 4, 5


class PkError(ValueError):
    """A packed primary key that cr-sqlite would not produce."""


def _uint_len(value: int) -> int:
    return (value.bit_length() + 7) // 8


def pack(values: tuple[SqlValue, ...] | list[SqlValue]) -> bytes:
    out = bytearray([len(values)])
    for value in values:
        if value is None:
            out.append(NULL)
        elif isinstance(value, bool):
            raise PkError("booleans are not SQLite values")
        elif isinstance(value, int):
            if not -(2**63) <= value < 2**63:
                raise PkError(f"integer {value} does not fit in 64 bits")
            if value < 0:
                out.append((8 << 3) | INTEGER)
                out += value.to_bytes(8, "big", signed=True)
            else:
                n = _uint_len(value)
                out.append((n << 3) | INTEGER)
                out += value.to_bytes(n, "big") if n else b""
        elif isinstance(value, float):
            out.append(REAL)  # cr-sqlite writes n = 0 for REAL; the length is always 8
            out += struct.pack(">d", value)
        elif isinstance(value, str | bytes):
            data = value.encode("utf-8") if isinstance(value, str) else value
            n = _uint_len(len(data))
            out.append((n << 3) | (TEXT if isinstance(value, str) else BLOB))
            out += len(data).to_bytes(n, "big") if n else b""
            out += data
        else:
            raise PkError(f"{type(value).__name__} is not a SQLite value")
    return bytes(out)


def unpack(blob: bytes) -> tuple[SqlValue, ...]:
    if not blob:
        raise PkError("empty primary key")
    count, pos, values = blob[0], 1, []

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > len(blob):
            raise PkError(f"primary key truncated at byte {pos}")
        chunk = blob[pos : pos + n]
        pos += n
        return chunk

    for _ in range(count):
        (header,) = take(1)
        kind, n = header & 0x07, header >> 3
        if kind == NULL:
            values.append(None)
        elif kind == INTEGER:
            if n > 8:
                raise PkError(f"integer of {n} bytes")
            values.append(int.from_bytes(take(n), "big", signed=(n == 8)))
        elif kind == REAL:
            values.append(struct.unpack(">d", take(8))[0])
        elif kind in (TEXT, BLOB):
            length = int.from_bytes(take(n), "big")
            data = take(length)
            if kind == BLOB:
                values.append(data)
            else:
                try:
                    values.append(data.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise PkError(f"text column is not UTF-8 at byte {exc.start}") from None
        else:
            raise PkError(f"unknown column type {kind} at byte {pos - 1}")
    if pos != len(blob):
        raise PkError(f"{len(blob) - pos} trailing bytes after {count} columns")
    return tuple(values)
