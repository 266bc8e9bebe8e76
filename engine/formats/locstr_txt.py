"""LocStr TXT/TSV files: one string per line, tab separated.

Columns 0-4 form the StringID, column 5 holds the (Korean) source, column 6 the translation; any
later columns are kept untouched. A line with fewer than six columns (a blank line, a comment) is
not a string and is copied as it is.

``Entry.string_id`` is the first five columns joined by a tab, so it is unique exactly when the
five columns are, and splits back with ``string_id.split("\\t")``.

Encoding: a UTF-8, UTF-16 LE or UTF-16 BE byte-order mark decides; without one the file must be
UTF-8. A line that does not decode (a file saved partly in another encoding) fails with its line
number. Writers keep the encoding, the BOM and the line ends (``\\r\\n`` or ``\\n``) of the source.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.formats import Entry, FormatError, atomic_output

ID_COLUMNS = 5
SOURCE_COLUMN = 5
TRANSLATION_COLUMN = 6

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


@dataclass(frozen=True)
class Line:
    """One line of a LocStr file: its number (1-based), its fields and its line end."""

    number: int
    fields: list[str]
    end: str

    @property
    def is_string(self) -> bool:
        return len(self.fields) > SOURCE_COLUMN


def detect_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-16-le`` or ``utf-16-be`` from a BOM, else ``utf-8``; an empty file
    fails. (The UTF-16 codecs named here do not strip or write the BOM themselves.)"""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except FileNotFoundError:
        raise FormatError(path, "file not found") from None
    if not head:
        raise FormatError(path, "empty file")
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head:
        raise FormatError(path, "looks like UTF-16 without a byte-order mark; save it as UTF-8")
    return "utf-8"


def _decoded(path: Path, encoding: str) -> Iterator[tuple[int, str]]:
    """``(line number, text with its line end)``; a line that does not decode fails."""
    if encoding.startswith("utf-16"):
        raw = path.read_bytes()[2:]
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].decode(encoding, "replace").count("\n") + 1
            raise FormatError(path, f"invalid UTF-16 ({exc.reason})", row=line) from None
        yield from enumerate(_split(text), 1)
        return
    with path.open("rb") as f:
        for number, raw_line in enumerate(f, 1):
            if number == 1 and encoding == "utf-8-sig":
                raw_line = raw_line.removeprefix(codecs.BOM_UTF8)
            try:
                yield number, raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise FormatError(
                    path,
                    f"not valid UTF-8 at byte {exc.start} of the line "
                    "(mixed encodings? save the file as UTF-8)",
                    row=number,
                ) from None


def _split(text: str) -> list[str]:
    # Split on "\n" only: str.splitlines would also split on form feeds and other separators.
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def read_lines(path: Path) -> Iterator[Line]:
    """Every line of the file with its fields and line end."""
    for number, text in _decoded(path, detect_encoding(path)):
        end = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
        body = text[: len(text) - len(end)]
        yield Line(number, body.split("\t"), end)


def read(path: Path) -> Iterator[Entry]:
    """The strings of the file: StringID (columns 0-4 joined by a tab), source, translation."""
    for line in read_lines(path):
        if line.is_string:
            fields = line.fields
            translation = fields[TRANSLATION_COLUMN] if len(fields) > TRANSLATION_COLUMN else ""
            yield Entry("\t".join(fields[:ID_COLUMNS]), fields[SOURCE_COLUMN], translation)


def write_translations(source: Path, target: Path, translations: Mapping[int, str]) -> int:
    """Write a copy of ``source`` to ``target`` (atomically) with column 6 of the lines numbered
    in ``translations`` replaced; returns how many lines were changed. A translation must not
    contain a tab or a newline (encode newlines as the file does, e.g. ``<br/>``)."""
    encoding = detect_encoding(source)
    changed = 0
    with atomic_output(target) as tmp, tmp.open("w", encoding=encoding, newline="") as out:
        if encoding.startswith("utf-16"):
            out.write("\ufeff")
        for line in read_lines(source):
            fields = line.fields
            value = translations.get(line.number)
            if value is not None and line.is_string:
                if "\t" in value or "\n" in value or "\r" in value:
                    raise FormatError(
                        source, "a translation holds a tab or a newline", row=line.number
                    )
                if len(fields) <= TRANSLATION_COLUMN:
                    fields = fields + [""] * (TRANSLATION_COLUMN + 1 - len(fields))
                fields[TRANSLATION_COLUMN] = value
                changed += 1
            out.write("\t".join(fields) + line.end)
    return changed
