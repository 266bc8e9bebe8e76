"""Quick Search dictionaries: build one per game and language, and list them.

Dictionaries live in :class:`engine.dictionaries.DictionaryStore` (folder ``quick_search``) under
the engine's data dir, named ``<game>-<language>``; :mod:`engine.tools.entries` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from engine.dictionaries import DictionaryStore
from engine.errors import ToolFailed
from engine.formats import Entry
from engine.formats.sources import Sources
from engine.tools.base import NoParams, ToolCall, ToolResult
from engine.tools.entries import KIND

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


def dictionary_name(game: str, language: str) -> str:
    return f"{game}-{language}"


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
        language=p.language,
    )
    counted = {"entries": 0}

    def entries() -> Iterator[Entry]:
        for _path, entry in sources.entries(call.progress):
            counted["entries"] += 1
            yield entry
        # The store writes the header after the entries, so the languages the files declared
        # (known only now) go in with it.
        meta["declared_languages"] = sources.declared

    name = dictionary_name(p.game, p.language)
    meta: dict[str, object] = {"game": p.game, "language": p.language, "files": len(sources.files)}
    DictionaryStore(call.data_dir, KIND).save(name, entries(), meta)
    return ToolResult(
        rows_in=counted["entries"],
        rows_out=counted["entries"],
        summary={
            "dictionary": name,
            "files": len(sources.files),
            "entries": counted["entries"],
            "declared_languages": sources.declared,
        },
        warnings=sources.warnings,
    )


def list_all(call: ToolCall[NoParams]) -> ToolResult:
    """The stored Quick Search dictionaries and what the store knows of each."""
    names = DictionaryStore(call.data_dir, KIND).names()
    return ToolResult(rows_in=0, rows_out=len(names), summary={"dictionaries": names})
