"""Gettext PO files as a dictionary source (read only, through polib).

The string id is ``msgctxt|msgid`` (just ``msgid`` without a context), the source is ``msgid``
and the translation ``msgstr`` (the first plural form for plural entries). Obsolete entries are
left out; fuzzy ones keep their source but not their translation, since a translator has not
confirmed it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

import polib

from engine.formats import Entry, FormatError

_LINE = re.compile(r"\(line (\d+)\)")


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, f"cannot open: {exc.strerror}") from None
    if not raw.strip():
        raise FormatError(path, "file is empty")
    encoding = polib.detect_encoding(raw.decode("ascii", "replace"))
    try:
        codecs.lookup(encoding)
        return raw.decode(encoding).removeprefix("\ufeff")
    except LookupError:
        raise FormatError(path, f"unknown charset {encoding!r} in the PO header") from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FormatError(
            path, f"line {line}: bytes that are not {encoding} (byte {exc.start})"
        ) from None


def read(path: Path) -> Iterator[Entry]:
    """Yield one :class:`Entry` per PO entry."""
    text = _decode(path)
    try:
        # polib takes a string holding the contents when it is not a file name.
        catalog = polib.pofile(text)
    except OSError as exc:
        found = _LINE.search(str(exc))
        where = f"line {found.group(1)}: " if found else ""
        raise FormatError(path, f"{where}not valid PO syntax") from None
    for item in catalog:
        if item.obsolete:
            continue
        translation = item.msgstr
        if item.msgid_plural and item.msgstr_plural:
            translation = item.msgstr_plural.get(0, "")
        if item.fuzzy:
            translation = ""
        string_id = f"{item.msgctxt}|{item.msgid}" if item.msgctxt else item.msgid
        yield Entry(string_id, item.msgid, translation)
