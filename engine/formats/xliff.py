"""XLIFF 1.2 (``trans-unit``) and 2.0 (``unit`` of ``segment``s) as a dictionary source.

The string id is the unit's ``id``; source and target are the element texts with inline markup
flattened (the native code inside ``<ph>``/``<bpt>``/``<ept>`` is kept, empty placeholders such as
``<x/>`` vanish). A 2.0 unit's segments are joined in order. The language of the translations is
the first ``<file target-language>`` (1.2) or the root's ``trgLang`` (2.0). Parsed with
:mod:`engine.formats.safe_xml`: streaming, no DTD, no entities.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from engine.formats import Entry, FormatError
from engine.formats.safe_xml import first_attribute, iter_records, local_name


def _children(elem: Element, name: str) -> list[Element]:
    """1.2: the unit's own ``name`` children (not those of ``<alt-trans>`` suggestions);
    2.0: those of its ``<segment>`` and ``<ignorable>`` children."""
    found = []
    for child in elem:
        tag = local_name(child.tag)
        if tag == name:
            found.append(child)
        elif tag in ("segment", "ignorable"):
            found.extend(c for c in child if local_name(c.tag) == name)
    return found


def _text(elems: list[Element]) -> str:
    return "".join("".join(e.itertext()) for e in elems)


def _unit(path: Path, elem: Element, line: int) -> Entry:
    unit_id = elem.get("id")
    if unit_id is None:
        raise FormatError(path, f"line {line}: {local_name(elem.tag)} without an id attribute")
    sources = _children(elem, "source")
    if not sources:
        raise FormatError(path, f"line {line}: unit {unit_id!r} has no <source>")
    return Entry(unit_id, _text(sources), _text(_children(elem, "target")))


def read(path: Path) -> Iterator[Entry]:
    """Yield one :class:`Entry` per translation unit, in file order."""
    for elem, line in iter_records(path, {"trans-unit", "unit"}):
        yield _unit(path, elem, line)


def declared_language(path: Path) -> str | None:
    """The target language the file declares, if any."""
    return first_attribute(
        path, {"xliff": "trgLang", "file": "target-language"}, {"trans-unit", "unit"}
    )
