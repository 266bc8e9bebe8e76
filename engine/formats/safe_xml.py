"""Streaming, defused XML reading shared by the LocStr XML, XLIFF and TMX readers.

Files come from outside (vendors, other teams), so parsing refuses any DTD: no entity
declarations means no billion-laughs expansion and no external entity reads. The file is fed to
expat in chunks and only the subtrees of the wanted record elements are built, each handed out and
dropped at once, so memory stays bounded by one record however large the file is.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from engine.formats import FormatError

# Small enough that the records parsed from one chunk stay a few hundred KB.
CHUNK = 1 << 16

XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rpartition("}")[2]


class _RecordCollector:
    """An ElementTree parser target that builds only the subtrees rooted at record tags."""

    def __init__(self, tags: frozenset[str]) -> None:
        self._tags = tags
        self.parser: DefusedXMLParser | None = None
        self._builder: TreeBuilder | None = None
        self._depth = 0
        self._line = 0
        self.records: list[tuple[Element, int]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self._builder is None:
            if local_name(tag) not in self._tags:
                return
            self._builder = TreeBuilder()
            self._line = _current_line(self.parser)
        self._depth += 1
        self._builder.start(tag, attrib)

    def end(self, tag: str) -> None:
        if self._builder is None:
            return
        self._builder.end(tag)
        self._depth -= 1
        if self._depth == 0:
            self.records.append((self._builder.close(), self._line))
            self._builder = None

    def data(self, text: str) -> None:
        if self._builder is not None:
            self._builder.data(text)

    def close(self) -> None:
        return None


def _current_line(parser: DefusedXMLParser | None) -> int:
    # close() drops the expat parser, so it may be gone when an error is reported.
    expat = getattr(parser, "parser", None)
    return expat.CurrentLineNumber if expat is not None else 0


def _problem(exc: Exception) -> str:
    if isinstance(exc, DefusedXmlException):
        return (
            "DTD and entity declarations are not allowed (they can expand into an XML bomb "
            f"or read other files): {exc}"
        )
    text = str(exc).split(": line ")[0]
    if text.startswith("not well-formed") or "invalid token" in text:
        text += " (malformed XML, or bytes not valid in the declared encoding)"
    return text


def iter_records(path: Path, tags: set[str]) -> Iterator[tuple[Element, int]]:
    """Yield ``(element, line)`` for each element whose local name is in ``tags``.

    Raises :class:`FormatError` naming the file and line for an empty, malformed or unsafe file.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FormatError(path, f"cannot open: {exc.strerror}") from None
    with handle:
        collector = _RecordCollector(frozenset(tags))
        parser = DefusedXMLParser(target=collector, forbid_dtd=True)
        collector.parser = parser
        seen_bytes = False
        while True:
            chunk = handle.read(CHUNK)
            try:
                if chunk:
                    seen_bytes = seen_bytes or bool(chunk.strip())
                    parser.feed(chunk)
                elif not seen_bytes:
                    raise FormatError(path, "file is empty")
                else:
                    parser.close()
            except (ParseError, DefusedXmlException) as exc:
                line = exc.position[0] if isinstance(exc, ParseError) else _current_line(parser)
                raise FormatError(path, f"line {line}: {_problem(exc)}") from None
            yield from collector.records
            collector.records.clear()
            if not chunk:
                return


class _Found(Exception):
    """Stops a scan once the wanted attribute is seen."""

    def __init__(self, value: str | None) -> None:
        self.value = value


class _AttributeScanner:
    """A parser target that stops at the first element holding a wanted attribute, or at the
    first element of ``stop`` (after which the attribute cannot come any more)."""

    def __init__(self, wanted: dict[str, str], stop: frozenset[str]) -> None:
        self._wanted, self._stop = wanted, stop

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = local_name(tag)
        attribute = self._wanted.get(name)
        if attribute is not None and attrib.get(attribute):
            raise _Found(attrib[attribute])
        if name in self._stop:
            raise _Found(None)

    def close(self) -> None:
        return None


def first_attribute(path: Path, wanted: dict[str, str], stop: set[str]) -> str | None:
    """The value of the first ``wanted[element]`` attribute met (``{"file": "target-language"}``),
    reading no further than the first element named in ``stop``; None if there is none."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FormatError(path, f"cannot open: {exc.strerror}") from None
    parser = DefusedXMLParser(target=_AttributeScanner(wanted, frozenset(stop)), forbid_dtd=True)
    with handle:
        try:
            while chunk := handle.read(CHUNK):
                parser.feed(chunk)
            parser.close()
        except _Found as found:
            return found.value
        except (ParseError, DefusedXmlException) as exc:
            line = exc.position[0] if isinstance(exc, ParseError) else 0
            raise FormatError(path, f"line {line}: {_problem(exc)}") from None
    return None
