"""Quick Search dictionaries: build one per game and language, list them, and load the entries a
function works on (a stored dictionary, or input files and folders read on the spot).

Dictionaries live in :class:`engine.dictionaries.DictionaryStore` (kind ``quick_search``) under the
engine's data dir, named ``<game>-<language>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from engine.dictionaries import DictionaryStore
from engine.errors import ToolFailed
from engine.formats import Entry
from engine.formats.sources import Sources
from engine.tools.base import NoParams, ToolCall, ToolResult
from engine.tools.quick_search.report import ReportParams

KIND = "quick_search"
NAME_PATTERN = r"^[\w.\- ]+$"


class BuildParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    game: str = Field(..., pattern=NAME_PATTERN, description="Game the strings belong to.")
    language: str = Field(..., pattern=NAME_PATTERN, description="Language of the translations.")
    skip_bad_files: bool = Field(
        False, description="Leave out files that cannot be read (named in the warnings)."
    )
    tmx_source_lang: str | None = Field(None, description="TMX: language of the source text.")
    tmx_target_lang: str | None = Field(None, description="TMX: language of the translation.")


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


def dictionary_name(game: str, language: str) -> str:
    return f"{game}-{language}"


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


def build(call: ToolCall[BuildParams]) -> ToolResult:
    """Read every entry of the input files and folders into the dictionary ``<game>-<language>``
    (replacing one of that name)."""
    if not call.inputs:
        raise ToolFailed("build_dictionary needs input files or folders")
    p = call.params
    sources = Sources(
        call.inputs,
        skip_bad_files=p.skip_bad_files,
        tmx_source_lang=p.tmx_source_lang,
        tmx_target_lang=p.tmx_target_lang,
    )
    counted = {"entries": 0}

    def entries() -> Iterator[Entry]:
        for _path, entry in sources.entries(call.progress):
            counted["entries"] += 1
            yield entry

    name = dictionary_name(p.game, p.language)
    meta = {"game": p.game, "language": p.language, "files": len(sources.files)}
    DictionaryStore(call.data_dir, KIND).save(name, entries(), meta)
    return ToolResult(
        rows_in=counted["entries"],
        rows_out=counted["entries"],
        summary={"dictionary": name, "files": len(sources.files), "entries": counted["entries"]},
        warnings=sources.warnings,
    )


def list_all(call: ToolCall[NoParams]) -> ToolResult:
    """The stored Quick Search dictionaries and what the store knows of each."""
    names = DictionaryStore(call.data_dir, KIND).names()
    return ToolResult(rows_in=0, rows_out=len(names), summary={"dictionaries": names})
