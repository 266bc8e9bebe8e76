"""LocStr XML: ``<LocStr StringId=".." StrOrigin="(source)" Str="(translation)"/>``.

Line breaks live inside attribute values as the text ``<br/>`` (escaped ``&lt;br/&gt;`` in the
file). Entries keep them as ``<br/>`` both ways; a raw line break (``&#10;``) read from a file is
turned into ``<br/>`` too, so every LocStr text has one line-break form and the game's code tags
(``{..}``, ``<PAColor..>``) pass through untouched. Reading is streaming and refuses DTDs
(see :mod:`engine.formats.safe_xml`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from engine.formats import Entry, FormatError, atomic_output
from engine.formats.safe_xml import iter_records

LINE_BREAK = "<br/>"
ROOT_TAG = "LanguageData"

_RAW_BREAK = re.compile(r"\r\n|\r|\n")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _attribute(elem: Element, name: str) -> str | None:
    # Files from different tools disagree on case (StringId, StringID, stringid).
    value = elem.attrib.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in elem.attrib.items() if k.lower() == wanted), None)


def _text(value: str | None) -> str:
    return _RAW_BREAK.sub(LINE_BREAK, value) if value else ""


def read(path: Path) -> Iterator[Entry]:
    """Yield one :class:`Entry` per ``LocStr`` element, in file order."""
    for elem, line in iter_records(path, {"LocStr"}):
        string_id = _attribute(elem, "StringId")
        if string_id is None:
            raise FormatError(path, f"line {line}: LocStr without a StringId attribute")
        yield Entry(string_id, _text(_attribute(elem, "StrOrigin")), _text(_attribute(elem, "Str")))


def _escape(path: Path, entry: Entry, value: str) -> str:
    bad = _NOT_XML.search(value)
    if bad:
        code = f"U+{ord(bad.group()):04X}"
        raise FormatError(path, f"string {entry.string_id!r}: character {code} cannot be in XML")
    value = _RAW_BREAK.sub(LINE_BREAK, value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
    )


def write(path: Path, entries: Iterable[Entry]) -> int:
    """Write ``entries`` as a LocStr XML file (atomically); return how many were written."""
    count = 0
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{ROOT_TAG}>\n')
        for entry in entries:
            out.write(
                f'  <LocStr StringId="{_escape(path, entry, entry.string_id)}"'
                f' StrOrigin="{_escape(path, entry, entry.source)}"'
                f' Str="{_escape(path, entry, entry.translation)}"/>\n'
            )
            count += 1
        out.write(f"</{ROOT_TAG}>\n")
    return count
