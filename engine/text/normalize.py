"""Normalisation used as the key of exact matching.

Two texts match exactly when their normalised forms are equal. The rules, applied in order:

1. Excel's ``_x000D_`` artefact is removed (it stands for a carriage return before a newline).
2. Newlines are unified to ``\\n``: ``\\r\\n``, lone ``\\r``, the markup ``<br/>`` (also ``<br>``,
   ``<br />``, any case) and the two-character escape backslash-n all become one ``\\n``.
3. In every line, runs of whitespace (spaces, tabs, no-break spaces, ...) collapse to one space and
   the line is stripped.
4. Empty lines at the start and the end are dropped; empty lines inside are kept, since they are
   part of the text's line structure.

Case, punctuation and code tags are kept: they are part of what a translation must match.
"""

from __future__ import annotations

import re

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def unify_newlines(text: str) -> str:
    """Rules 1 and 2 only: every kind of line break becomes ``\\n``."""
    if "_x000D_" in text:
        text = text.replace("_x000D_", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "<b" in text or "<B" in text:
        text = _BR.sub("\n", text)
    if "\\n" in text:
        text = text.replace("\\n", "\n")
    return text


def normalize(text: str) -> str:
    """The exact-match key of ``text`` (see the module's rules)."""
    if "\r" in text or "<b" in text or "<B" in text or "\\n" in text or "_x000D_" in text:
        text = unify_newlines(text)
    if "\n" not in text:
        return " ".join(text.split())
    # Each line is stripped, so the empty lines at either end are the newlines at either end.
    return "\n".join([" ".join(line.split()) for line in text.split("\n")]).strip("\n")


def line_count(text: str) -> int:
    """How many lines ``text`` has once normalised; 0 for a blank text."""
    key = normalize(text)
    return key.count("\n") + 1 if key else 0
