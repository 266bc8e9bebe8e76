"""Game code tags: ``{...}`` placeholders, ``<PAColor...>`` / ``<PAOldColor>`` colour markup and
``<br/>`` line breaks.

A translation must carry the same code tags as its source, in any order. These helpers find them,
hide them from text processing (so a re-wrap never breaks inside one), check that they survived,
and carry a dictionary translation's tags over to a target text whose tags differ.
"""

from __future__ import annotations

import re
from collections import Counter

_CODE = r"\{[^{}\n]*\}|</?PAColor[^<>\n]*>|<PAOldColor>"
TAG = re.compile(_CODE + r"|<br\s*/?>", re.IGNORECASE)
# The tags other than line breaks (no code tag can overlap a <br/>, so both find the same ones).
_CODE_TAG = re.compile(_CODE, re.IGNORECASE)
# Tags are hidden behind characters of Unicode's private use area, one per tag.
_FIRST_MARK = 0xE000
_MARKS = 6400


def find_tags(text: str, *, with_br: bool = True) -> list[str]:
    """The code tags of ``text`` in order of appearance."""
    return (TAG if with_br else _CODE_TAG).findall(text)


def protect(text: str) -> tuple[str, list[str]]:
    """``text`` with each tag replaced by one private-use character, and the tags to restore."""
    tags: list[str] = []

    def mark(match: re.Match[str]) -> str:
        tags.append(match.group(0))
        return chr(_FIRST_MARK + (len(tags) - 1) % _MARKS)

    return TAG.sub(mark, text), tags


def restore(masked: str, tags: list[str]) -> str:
    """Undo :func:`protect`."""
    if not tags:
        return masked
    out = []
    for ch in masked:
        index = ord(ch) - _FIRST_MARK
        out.append(tags[index] if 0 <= index < len(tags) else ch)
    return "".join(out)


def missing_tags(source: str, translation: str) -> list[str]:
    """Code tags of ``source`` that ``translation`` lacks (counted; ``<br/>`` not included since a
    line break may be written as a newline)."""
    if "{" not in source and "<" not in source:
        return []
    tags = _CODE_TAG.findall(source)
    # Fast path: distinct tags, all present.
    if len(set(tags)) == len(tags):
        for tag in tags:
            if tag not in translation:
                break
        else:
            return []
    wanted = Counter(tags)
    wanted.subtract(find_tags(translation, with_br=False))
    return sorted(t for t, n in wanted.items() for _ in range(max(n, 0)))


def carry_tags(translation: str, matched_source: str, target_source: str) -> str:
    """Rewrite the tags of ``translation`` (made for ``matched_source``) into the tags of
    ``target_source``, pairing the two sources' tags by position.

    Used after a fuzzy match: the dictionary's ``{0}의 검`` may serve a target ``{1}의 검``. When
    the pairing is ambiguous (different tag counts, or one tag paired with two), the translation is
    returned unchanged and the caller's tag check reports the problem.
    """
    old = find_tags(matched_source, with_br=False)
    new = find_tags(target_source, with_br=False)
    if old == new or len(old) != len(new):
        return translation
    mapping: dict[str, str] = {}
    for a, b in zip(old, new, strict=True):
        if mapping.setdefault(a, b) != b:
            return translation
    return TAG.sub(lambda m: mapping.get(m.group(0), m.group(0)), translation)
