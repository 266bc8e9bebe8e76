"""TMX translation memories as a dictionary source.

Each ``<tu>`` holds one ``<tuv>`` per language. The caller picks the source and target languages;
left unset, the source is the header's ``srclang`` (or the first ``tuv`` when it says ``*all*``)
and the target is the first other language met. Languages match without regard to case, and a
bare language (``en``) matches a regional one (``en-US``). Units without the source language are
skipped; a missing target gives an empty translation. The id is the ``tuid`` attribute, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

from engine.formats import Entry
from engine.formats.safe_xml import XML_NS, iter_records, local_name


def _variants(tu: Element) -> list[tuple[str, str]]:
    """``(language, text)`` for each ``tuv``; TMX 1.1 used ``lang`` instead of ``xml:lang``."""
    found = []
    for tuv in tu:
        if local_name(tuv.tag) != "tuv":
            continue
        lang = (tuv.get(f"{XML_NS}lang") or tuv.get("lang") or "").lower()
        seg = next((c for c in tuv if local_name(c.tag) == "seg"), None)
        found.append((lang, "".join(seg.itertext()) if seg is not None else ""))
    return found


def _matches(wanted: str, lang: str) -> bool:
    return lang == wanted or lang.split("-")[0] == wanted


def _pick(variants: list[tuple[str, str]], wanted: str) -> str | None:
    exact = next((text for lang, text in variants if lang == wanted), None)
    if exact is not None:
        return exact
    return next((text for lang, text in variants if _matches(wanted, lang)), None)


def read(
    path: Path, source_lang: str | None = None, target_lang: str | None = None
) -> Iterator[Entry]:
    """Yield one :class:`Entry` per ``<tu>`` that has the source language."""
    source = source_lang.lower() if source_lang else None
    target = target_lang.lower() if target_lang else None
    for elem, _line in iter_records(path, {"header", "tu"}):
        if local_name(elem.tag) == "header":
            srclang = (elem.get("srclang") or "").lower()
            if source is None and srclang and srclang != "*all*":
                source = srclang
            continue
        variants = _variants(elem)
        if not variants:
            continue
        if source is None:
            source = variants[0][0]
        text = _pick(variants, source)
        if text is None:
            continue
        if target is None:
            target = next((lang for lang, _ in variants if not _matches(source, lang)), None)
        translation = _pick(variants, target) if target else None
        yield Entry(elem.get("tuid", ""), text, translation or "")
