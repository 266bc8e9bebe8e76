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


def _outer_lines(text: str) -> tuple[str, str]:
    """The blank lines framing ``text``: the whitespace before it up to the last line break, and
    after it from the first."""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    cut = trail.find("\n")
    return lead[: lead.rfind("\n") + 1], trail[cut:] if cut >= 0 else ""


def strip_outer_lines(text: str) -> str:
    """``text`` without the blank lines framing it; spaces on its own first and last lines stay
    (``"\\n  a, \\n"`` -> ``"  a, "``)."""
    if not text.strip():
        return ""
    lead, trail = _outer_lines(text)
    return text[len(lead) : len(text) - len(trail)]


def frame_like(translation: str, source: str) -> str:
    """``translation`` framed by the blank lines that frame ``source`` (its own dropped): line
    structure follows the source, the translation's outer spaces are its own."""
    source = unify_newlines(source)
    edges = source[:1] + source[-1:] + translation[:1] + translation[-1:]
    if not any(c.isspace() for c in edges):
        return translation
    lead, trail = _outer_lines(source)
    return lead + strip_outer_lines(translation) + trail
