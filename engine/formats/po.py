"""Gettext PO files as a dictionary source (read only), with a strict parser of our own.

The parser refuses what GNU ``msgfmt -c`` refuses in the syntax and structure of a catalog, naming
the file and line: a string not closed on its line (``msgstr "안녕``), an unknown escape, a
keyword it does not know or text after a string, an entry without ``msgstr``, plural forms not
numbered from 0 up, a message defined twice (same context and ``msgid``), a number of plural forms
other than the header's ``nplurals``, a ``msgid`` and ``msgstr`` that do not both begin (and
both end) with a newline, and, in entries flagged ``c-format`` or ``python-format`` (not fuzzy, not
empty), a translation whose directives are malformed or differ from the ``msgid``'s in number or
type (a plural form may leave some out). Header fields it leaves alone, as ``msgfmt`` only warns
about them.

An entry becomes an :class:`Entry`: the string id is ``msgctxt|msgid`` (just ``msgid`` without a
context), the source is ``msgid`` and the translation ``msgstr``. A plural entry gives one entry
per source form: ``msgid`` with ``msgstr[0]``, and ``msgid_plural`` (id suffixed ``|plural``) with
the last plural form, when the language has more than one. Obsolete entries (``#~``) and the header
are left out; fuzzy entries keep their source but not their translation, since a translator has
not confirmed it. :func:`declared_language` reads the header's ``Language`` field.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine.formats import Entry, FormatError

_CHARSET = re.compile(r"charset=([A-Za-z0-9_.:-]+)")
_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr)(?:\s*\[\s*(\d+)\s*\])?")
_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")
# A C directive: %[n$][flags][width][.precision][length]conversion; "%" alone ends it badly.
_C_DIRECTIVE = re.compile(
    r"%(?:(\d+)\$)?[-+ #0'I]*(\*(?:\d+\$)?|\d+)?(?:\.(\*(?:\d+\$)?|\d+))?"
    r"(hh|h|ll|l|L|q|j|z|Z|t)?([diouxXeEfFgGaAcspnCS%])"
)
_PY_DIRECTIVE = re.compile(
    r"%(?:\(([^)]*)\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])"
)
# Conversions that take the same kind of argument.
_KINDS = {**dict.fromkeys("di", "int"), **dict.fromkeys("ouxX", "unsigned")}
_KINDS |= {**dict.fromkeys("eEfFgGaA", "float"), "c": "char", "C": "wchar", "s": "str"}
_KINDS |= {"S": "wstr", "p": "pointer", "n": "count", "r": "str", "a": "str"}
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "\\": "\\",
    '"': '"',
    "'": "'",
    "?": "?",
}
_OCTAL = frozenset("01234567")
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass
class Message:
    """One parsed entry: where it starts, its parts and its flags (``fuzzy``, ``c-format``...)."""

    line: int
    context: str | None = None
    msgid: str | None = None
    plural: str | None = None
    # msgstr (index None) or msgstr[n], in the order met.
    forms: list[tuple[int | None, str]] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.context is None


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FormatError(path, f"cannot open: {exc.strerror}") from None
    if not raw.strip():
        raise FormatError(path, "file is empty")
    found = _CHARSET.search(raw.decode("ascii", "replace"))
    # A template's header says "charset=CHARSET" until someone fills it in.
    encoding = found.group(1) if found and found.group(1) != "CHARSET" else "utf-8"
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


def _string(path: Path, number: int, text: str, start: int) -> tuple[str, int]:
    """The C string starting at ``text[start]`` (a double quote), unescaped, and the index after
    its closing quote."""
    out: list[str] = []
    i, end = start + 1, len(text)
    while i < end:
        ch = text[i]
        if ch == '"':
            return "".join(out), i + 1
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < end else ""
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif nxt in _OCTAL:
            j = i + 1
            while j < min(i + 4, end) and text[j] in _OCTAL:
                j += 1
            out.append(chr(int(text[i + 1 : j], 8)))
            i = j
        elif nxt == "x" and i + 2 < end and text[i + 2] in _HEX:
            j = i + 2
            while j < end and text[j] in _HEX:
                j += 1
            out.append(chr(int(text[i + 2 : j], 16)))
            i = j
        else:
            raise FormatError(path, f"line {number}: invalid escape \\{nxt} in a string")
    raise FormatError(path, f"line {number}: string not closed on its line (missing '\"')")


def _strings(path: Path, number: int, text: str, start: int) -> list[str]:
    """Every string on the rest of a line from ``start``; anything else there is an error."""
    found = []
    i = start
    while True:
        while i < len(text) and text[i] in " \t\f\v":
            i += 1
        if i == len(text):
            return found
        if text[i] != '"':
            rest = text[i:].split()[0]
            raise FormatError(path, f"line {number}: unexpected {rest!r} (expected a string)")
        value, i = _string(path, number, text, i)
        found.append(value)


class _Parser:
    """Line by line: keywords start parts, strings continue the part in progress."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.current: Message | None = None
        # The part strings are added to: (keyword, plural index).
        self.part: tuple[str, int | None] | None = None
        self.flags: set[str] = set()
        self.messages: list[Message] = []

    def fail(self, number: int, problem: str) -> FormatError:
        return FormatError(self.path, f"line {number}: {problem}")

    def finish(self, number: int) -> None:
        msg = self.current
        if msg is None:
            return
        if msg.msgid is None:
            raise self.fail(msg.line, "msgctxt without a msgid")
        if not msg.forms:
            raise self.fail(msg.line, f"missing msgstr for msgid {msg.msgid[:40]!r}")
        self.messages.append(msg)
        self.current, self.part = None, None

    def keyword(self, number: int, name: str, index: int | None, obsolete: bool) -> None:
        msg = self.current
        if name in ("msgctxt", "msgid") and msg is not None and msg.msgid is not None:
            # The entry in progress is complete, or lacks its msgstr (finish says so).
            self.finish(number)
            msg = None
        if msg is None:
            if name not in ("msgctxt", "msgid"):
                raise self.fail(number, f"{name} without a msgid before it")
            msg = self.current = Message(number, flags=self.flags, obsolete=obsolete)
            self.flags = set()
        if name == "msgctxt":
            if msg.context is not None:
                raise self.fail(number, "a second msgctxt in one entry")
            msg.context = ""
        elif name == "msgid":
            msg.msgid = ""
        elif name == "msgid_plural":
            if msg.msgid is None or msg.plural is not None or msg.forms:
                raise self.fail(number, "msgid_plural out of place")
            msg.plural = ""
        else:
            self._form(number, msg, index)
        self.part = (name, index)

    def _form(self, number: int, msg: Message, index: int | None) -> None:
        if msg.msgid is None:
            raise self.fail(number, "msgstr without a msgid before it")
        if msg.plural is None and index is not None:
            raise self.fail(number, "msgstr[n] in an entry without msgid_plural")
        if msg.plural is not None and index is None:
            raise self.fail(number, "plain msgstr in an entry with msgid_plural (use msgstr[n])")
        if index is None and msg.forms:
            raise self.fail(number, "a second msgstr in one entry")
        if index is not None and index != len(msg.forms):
            raise self.fail(number, f"plural form msgstr[{index}] out of order")
        msg.forms.append((index, ""))

    def add(self, number: int, strings: list[str]) -> None:
        msg, part = self.current, self.part
        if msg is None or part is None:
            raise self.fail(number, "a string outside any entry")
        text = "".join(strings)
        name = part[0]
        if name == "msgctxt":
            msg.context = (msg.context or "") + text
        elif name == "msgid":
            msg.msgid = (msg.msgid or "") + text
        elif name == "msgid_plural":
            msg.plural = (msg.plural or "") + text
        else:
            index, value = msg.forms[-1]
            msg.forms[-1] = (index, value + text)

    def line(self, number: int, text: str) -> None:
        stripped = text.strip()
        if not stripped:
            return
        obsolete = False
        if stripped.startswith("#"):
            if stripped.startswith("#,"):
                self.flags |= {f.strip() for f in stripped[2:].split(",") if f.strip()}
                return
            if not stripped.startswith("#~"):
                return
            # Obsolete entries are read (they must be well-formed too) and dropped later.
            stripped = stripped[2:].strip()
            if stripped.startswith("|") or not stripped:
                return
            obsolete = True
        if stripped.startswith('"'):
            self.add(number, _strings(self.path, number, stripped, 0))
            return
        keyword = _KEYWORD.match(stripped)
        if keyword is None or (
            keyword.end() < len(stripped) and stripped[keyword.end()] not in ' \t"'
        ):
            word = stripped.split()[0]
            raise self.fail(number, f"unknown keyword {word!r}")
        index = int(keyword.group(2)) if keyword.group(2) is not None else None
        self.keyword(number, keyword.group(1), index, obsolete)
        strings = _strings(self.path, number, stripped, keyword.end())
        if not strings:
            raise self.fail(number, f"{keyword.group(1)} without a string")
        self.add(number, strings)


def parse(path: Path) -> list[Message]:
    """Every entry of the file (header and obsolete ones included), checked; raises
    :class:`FormatError` naming the line of the first problem."""
    parser = _Parser(path)
    number = 0
    for number, text in enumerate(_decode(path).split("\n"), 1):
        parser.line(number, text)
    parser.finish(number)
    _check(path, parser.messages)
    return parser.messages


def _header_field(header: Message | None, name: str) -> str | None:
    if header is None or not header.forms:
        return None
    prefix = name.lower() + ":"
    for line in header.forms[0][1].split("\n"):
        if line.lower().startswith(prefix):
            return line[len(prefix) :].strip()
    return None


def _check(path: Path, messages: list[Message]) -> None:
    header = next((m for m in messages if m.is_header and not m.obsolete), None)
    plural_forms = _header_field(header, "Plural-Forms") or ""
    nplurals = _NPLURALS.search(plural_forms)
    seen: dict[tuple[str | None, str], int] = {}
    for msg in messages:
        if msg.obsolete:
            continue
        key = (msg.context, msg.msgid or "")
        if key in seen:
            raise FormatError(
                path, f"line {msg.line}: message defined twice (first at line {seen[key]})"
            )
        seen[key] = msg.line
        if msg.plural is not None and nplurals and len(msg.forms) != int(nplurals.group(1)):
            raise FormatError(
                path,
                f"line {msg.line}: {len(msg.forms)} plural forms, but the header says "
                f"nplurals={nplurals.group(1)}",
            )
        if not msg.is_header:
            _check_newlines(path, msg)
            if "fuzzy" not in msg.flags:
                _check_formats(path, msg)


def _check_newlines(path: Path, msg: Message) -> None:
    """msgfmt -c: a translation begins and ends with a newline exactly when its msgid does."""
    msgid = msg.msgid or ""
    for _index, value in msg.forms:
        if not value:
            continue
        for where, test in (("begin", str.startswith), ("end", str.endswith)):
            if test(msgid, "\n") != test(value, "\n"):
                raise FormatError(
                    path,
                    f"line {msg.line}: msgid and msgstr do not both {where} with a newline",
                )


class _BadFormat(ValueError):
    """A string is not a valid format string of its flagged language."""


def _c_arguments(text: str) -> dict[str, str]:
    """Argument number -> the kind of value it takes, for a C format string."""
    found: dict[str, str] = {}
    position = 0
    next_arg = 1
    while (start := text.find("%", position)) >= 0:
        directive = _C_DIRECTIVE.match(text, start)
        if directive is None:
            raise _BadFormat
        position = directive.end()
        number, width, precision, length, conversion = directive.groups()
        if conversion == "%":
            continue
        for star in (width, precision):
            if star and star.startswith("*"):
                found[star[1:-1] or str(next_arg)] = "int"
                next_arg += 1
        key = number or str(next_arg)
        next_arg += 1
        found[key] = (length or "") + _KINDS.get(conversion, conversion)
    return found


def _python_arguments(text: str) -> dict[str, str]:
    """Argument name (or position) -> the kind of value it takes, for a Python %-format."""
    found: dict[str, str] = {}
    position = 0
    next_arg = 1
    while (start := text.find("%", position)) >= 0:
        directive = _PY_DIRECTIVE.match(text, start)
        if directive is None:
            raise _BadFormat
        position = directive.end()
        name, _width, _precision, conversion = directive.groups()
        if conversion == "%":
            continue
        key = name if name is not None else f"#{next_arg}"
        next_arg += name is None
        found[key] = _KINDS.get(conversion, conversion)
    return found


def _check_formats(path: Path, msg: Message) -> None:
    """msgfmt -c: a flagged entry's translations take the arguments its msgid takes."""
    parse_args = (
        _c_arguments
        if "c-format" in msg.flags
        else _python_arguments
        if "python-format" in msg.flags
        else None
    )
    if parse_args is None:
        return
    try:
        wanted = parse_args(msg.msgid or "")
        if msg.plural is not None:
            wanted = {**wanted, **parse_args(msg.plural)}
    except _BadFormat:
        return  # msgfmt checks translations against a valid msgid only
    for index, value in msg.forms:
        if not value:
            continue
        where = "msgstr" if index is None else f"msgstr[{index}]"
        try:
            got = parse_args(value)
        except _BadFormat:
            raise FormatError(
                path, f"line {msg.line}: {where} is not a valid format string (a lone '%'?)"
            ) from None
        # A plural form may leave arguments out ("one file" for n == 1).
        missing = set() if msg.plural is not None else wanted.keys() - got.keys()
        differ = sorted(k for k in got if wanted.get(k) != got[k]) + sorted(missing)
        if differ:
            raise FormatError(
                path,
                f"line {msg.line}: the format directives of {where} do not match the msgid's "
                f"(argument {differ[0]})",
            )


def _language(messages: list[Message]) -> str | None:
    header = next((m for m in messages if m.is_header and not m.obsolete), None)
    return _header_field(header, "Language") or None


def declared_language(path: Path) -> str | None:
    """The ``Language`` field of the file's header, if it has one."""
    return _language(parse(path))


def read_catalog(path: Path) -> tuple[str | None, list[Entry]]:
    """The declared language and the entries of the file, from one parse."""
    messages = parse(path)
    return _language(messages), list(_entries(messages))


def read(path: Path) -> Iterator[Entry]:
    """Yield the entries of the file (see the module's rules)."""
    return _entries(parse(path))


def _entries(messages: list[Message]) -> Iterator[Entry]:
    for msg in messages:
        if msg.obsolete or msg.is_header:
            continue
        msgid = msg.msgid or ""
        string_id = f"{msg.context}|{msgid}" if msg.context is not None else msgid
        forms = [value for _index, value in msg.forms]
        confirmed = "fuzzy" not in msg.flags
        yield Entry(string_id, msgid, forms[0] if confirmed else "")
        if msg.plural is not None and len(forms) > 1:
            yield Entry(f"{string_id}|plural", msg.plural, forms[-1] if confirmed else "")
