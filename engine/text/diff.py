"""The differences between a matched source and a target source, as a CAT tool shows a TM match.

Word by word (a word is a run of letters or digits, or one other character, so Korean and other
texts without spaces still diff finely): ``[-text-]`` is only in the matched source, ``{+text+}``
only in the target's.
"""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")


def differences(matched: str, target: str) -> str:
    """``matched`` rewritten into ``target`` with the changes marked inline."""
    a, b = _TOKEN.findall(matched), _TOKEN.findall(target)
    out: list[str] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[a1:a2]))
            continue
        if a2 > a1:
            out.append("[-" + "".join(a[a1:a2]) + "-]")
        if b2 > b1:
            out.append("{+" + "".join(b[b1:b2]) + "+}")
    return "".join(out)
