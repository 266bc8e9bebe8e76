"""Placeholders of every syntax the field uses, and the check that a translation keeps its
source's.

A placeholder is text a program replaces or reads at run time, so a translation must carry the
same ones as its source (in any order):

* printf: ``%s``, ``%d``, ``%5.2f``, ``%1$s``, ``%(name)s`` (``%%`` is a literal percent sign);
* brace: ``{0}``, ``{name}``, ``{0:>8}`` and the game's code tags ``{...}``;
* ICU arguments: ``{count, plural, one {# item} other {# items}}`` counts as one placeholder,
  ``{count, plural}``, whatever its inner messages say (they are translated text);
* HTML/XML tags: ``<b>``, ``</b>``, ``<a href="..">`` and the game's ``<PAColor..>`` and
  ``<PAOldColor>``. Line breaks (``<br/>``, newlines) are not placeholders: a line break may be
  written either way.

:func:`compare` is what every fill runs; it returns at once for texts without ``%``, ``{`` or
``<``, so checking the many plain texts of a catalog costs next to nothing.
"""

from __future__ import annotations

import re
from collections import Counter

_PRINTF = (
    r"%%"
    r"|%\([^()\s]{1,64}\)[-+ #0]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%(?:\d+\$)?[-+#0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t)?[diouxXeEfFgGaAcspn@]"
)
# A brace placeholder without braces inside; an ICU argument's opening is found on its own.
_BRACE = r"\{[^{}\n]*\}"
_TAG = r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>"
_ANY = re.compile(f"{_PRINTF}|{_BRACE}|{_TAG}")
_ICU = re.compile(r"\{\s*([\w.]+)\s*,\s*(plural|selectordinal|select)\s*,", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _without_icu(text: str) -> tuple[str, list[str]]:
    """``text`` with each ICU plural/select argument cut out, and those arguments as
    ``{name, kind}``."""
    found: list[str] = []
    out: list[str] = []
    position = 0
    for start in _ICU.finditer(text):
        if start.start() < position:
            continue  # nested inside an argument already cut out
        depth, end = 0, len(text)
        for i in range(start.start(), len(text)):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    end = i + 1
                    break
        out.append(text[position : start.start()])
        found.append(f"{{{start.group(1)}, {start.group(2).lower()}}}")
        position = end
    out.append(text[position:])
    return "".join(out), found


def find(text: str) -> list[str]:
    """The placeholders of ``text`` in order (ICU arguments first)."""
    if "%" not in text and "{" not in text and "<" not in text:
        return []
    icu: list[str] = []
    if "," in text and "{" in text:
        text, icu = _without_icu(text)
    found = _ANY.findall(text)
    # Only a literal %% or a line break can be found that is no placeholder.
    if "%%" in text or "<b" in text or "<B" in text:
        found = [m for m in found if m != "%%" and not _BREAK.fullmatch(m)]
    return icu + found if icu else found


def compare(source: str, translation: str) -> tuple[list[str], list[str]]:
    """``(missing, extra)``: placeholders of ``source`` that ``translation`` lacks, and those
    ``translation`` has that ``source`` does not (counted, sorted)."""
    # Spelled out: this runs once per fill, and most texts hold none of the three.
    if (
        "%" not in source
        and "{" not in source
        and "<" not in source
        and "%" not in translation
        and "{" not in translation
        and "<" not in translation
    ):
        return [], []
    if not (("," in source or "," in translation) and ("{" in source or "{" in translation)):
        # No ICU argument possible: compare what the pattern finds; equal lists stay equal once
        # literal %% and line breaks are dropped from both.
        wanted, got = _ANY.findall(source), _ANY.findall(translation)
        if wanted == got:
            return [], []
    wanted, got = find(source), find(translation)
    if wanted == got or sorted(wanted) == sorted(got):
        return [], []
    need, have = Counter(wanted), Counter(got)
    return sorted((need - have).elements()), sorted((have - need).elements())
