"""The entries a Quick Search or Similar Strings function works on: a stored dictionary of game
strings (built by Quick Search's ``build_dictionary``), or the input files and folders read on the
spot (LocStr XML/TXT, PO, XLIFF, TMX; see :class:`engine.formats.sources.Sources`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from engine.dictionaries import DictionaryStore
from engine.errors import ToolFailed
from engine.formats import Entry
from engine.formats.sources import Sources
from engine.tools.base import ToolCall
from engine.tools.reports import ReportParams

# The store folder of these dictionaries (Quick Search builds them).
KIND = "quick_search"


class SourceParams(ReportParams):
    """Where a check or search gets its entries: a stored dictionary, or the input files."""

    dictionary: str | None = Field(
        None, description="A dictionary built with build_dictionary; empty: read the inputs."
    )
    skip_bad_files: bool = Field(
        False, description="Leave out input files that cannot be read (named in the warnings)."
    )


@dataclass
class Loaded:
    entries: list[Entry]
    # The file each entry came from ("" for a stored dictionary), parallel to ``entries``.
    files: list[str]
    warnings: list[str] = field(default_factory=list)


def load_dictionary(call: ToolCall[BaseModel], name: str) -> list[Entry]:
    store = DictionaryStore(call.data_dir, KIND)
    known = sorted(d["name"] for d in store.names())
    if name not in known:
        raise ToolFailed(f"no dictionary named {name!r} (built: {', '.join(known) or 'none'})")
    return store.load(name)


def load_entries(call: ToolCall[SourceParams]) -> Loaded:
    """The entries named by the ``dictionary`` parameter, else those of the input files."""
    name = call.params.dictionary
    if name:
        entries = load_dictionary(call, name)
        return Loaded(entries, [""] * len(entries))
    if not call.inputs:
        raise ToolFailed("give a dictionary name or input files and folders")
    sources = Sources(call.inputs, skip_bad_files=call.params.skip_bad_files)
    entries, files = [], []
    for path, entry in sources.entries(call.progress):
        entries.append(entry)
        files.append(path.name)
    return Loaded(entries, files, sources.warnings)
