"""Local translation dictionaries, one plain SQLite file each (never pickles).

``data_dir/dictionaries/<tool>/<name>.sqlite`` holds a ``meta`` table (JSON values by key) and an
``entries`` table (string_id, source, translation, kind, in the order saved). A dictionary is
written to a temporary file and renamed, so a failed save leaves the previous one (or none) in
place. A save that has no entries fails instead (:class:`EmptyDictionary`): an empty or
header-only input never replaces a dictionary. These files are local state only: nothing here
is replicated.

Format 2 added the ``kind`` column. Files of format 1 (no such column) still open, read-only as
always; their entries come back with an empty kind (:meth:`DictionaryStore.read` says which format
a file has, for a tool that kept something else in its place).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.errors import ToolFailed
from engine.formats import Entry, atomic_output

FORMAT_VERSION = 2
# Formats this code reads, with the columns each holds in Entry's field order.
_COLUMNS = {1: "string_id, source, translation", 2: "string_id, source, translation, kind"}
_NAME = re.compile(r"[^\\/:*?\"<>|\x00-\x1f]{1,120}")
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    string_id TEXT NOT NULL,
    source TEXT NOT NULL,
    translation TEXT NOT NULL,
    kind TEXT NOT NULL
) STRICT;
"""


class DictionaryError(ToolFailed):
    """A dictionary name is invalid, or a dictionary is missing or unreadable."""

    code = "bad_dictionary"


class EmptyDictionary(DictionaryError):
    """A build found no entries: the dictionary of that name is left as it was."""

    code = "empty_dictionary"


def check_name(name: str) -> str:
    """``name`` if it can be a file name on every OS: no path separators, no leading dot."""
    if not _NAME.fullmatch(name) or name.startswith(".") or name != name.strip():
        raise DictionaryError(
            f'bad dictionary name {name!r}: use 1-120 characters without / \\ : * ? " < > | '
            "and without a leading dot or surrounding spaces"
        )
    return name


class DictionaryStore:
    """The dictionaries of one tool (``xls_transfer``, ``quick_search`` ...) under ``data_dir``."""

    def __init__(self, data_dir: Path, tool: str) -> None:
        self.folder = Path(data_dir) / "dictionaries" / check_name(tool)

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.sqlite"

    def save(self, name: str, entries: Iterable[Entry], meta: dict[str, Any]) -> int:
        """Write (or replace) dictionary ``name``; returns the number of entries. The new file is
        written beside the old one and swapped in only when complete; with no entries it is
        dropped and :class:`EmptyDictionary` raised."""
        target = self.path(name)
        with atomic_output(target) as tmp, closing(sqlite3.connect(tmp)) as db:
            db.executescript(_SCHEMA)
            with db:
                db.executemany(
                    f"INSERT INTO entries ({_COLUMNS[FORMAT_VERSION]}) VALUES (?, ?, ?, ?)",
                    ((e.string_id, e.source, e.translation, e.kind) for e in entries),
                )
                count = db.execute("SELECT count(*) FROM entries").fetchone()[0]
                if not count:
                    kept = "kept as it was" if target.is_file() else "not created"
                    raise EmptyDictionary(
                        f"no entries found in the inputs; dictionary {name!r} {kept}"
                    )
                header = {
                    "format": FORMAT_VERSION,
                    "name": name,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                    "entries": count,
                    "meta": meta,
                }
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(k, json.dumps(v, ensure_ascii=False)) for k, v in header.items()],
                )
        return count

    def _open(self, name: str) -> sqlite3.Connection:
        path = self.path(name)
        if not path.is_file():
            raise DictionaryError(f"no dictionary {name!r} (have: {', '.join(self._names())})")
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def _header(self, db: sqlite3.Connection, name: str) -> dict[str, Any]:
        try:
            rows = db.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.DatabaseError as exc:
            raise DictionaryError(f"dictionary {name!r} is unreadable ({exc})") from None
        header = {k: json.loads(v) for k, v in rows}
        # A tuple, not the dict: a damaged header may hold an unhashable value.
        if header.get("format") not in tuple(_COLUMNS):
            raise DictionaryError(
                f"dictionary {name!r} has an unknown format {header.get('format')}"
            )
        return header

    def _names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.sqlite") if not p.name.startswith("."))

    def names(self) -> list[dict[str, Any]]:
        """Every dictionary: name, entries, created, meta (unreadable files are skipped)."""
        out = []
        for name in self._names():
            try:
                with closing(self._open(name)) as db:
                    header = self._header(db, name)
            except DictionaryError:
                continue
            out.append({k: header[k] for k in ("name", "entries", "created", "meta")})
        return out

    def info(self, name: str) -> dict[str, Any]:
        """The header of one dictionary (name, entries, created, meta)."""
        with closing(self._open(name)) as db:
            header = self._header(db, name)
        return {k: header[k] for k in ("name", "entries", "created", "meta")}

    def load(self, name: str) -> list[Entry]:
        """The entries of dictionary ``name``, in the order they were saved."""
        return self.read(name)[1]

    def read(self, name: str) -> tuple[int, list[Entry]]:
        """The format of dictionary ``name`` and its entries, in the order they were saved."""
        with closing(self._open(name)) as db:
            version = self._header(db, name)["format"]
            rows = db.execute(f"SELECT {_COLUMNS[version]} FROM entries ORDER BY id")
            return version, [Entry(*row) for row in rows]

    def delete(self, name: str) -> None:
        path = self.path(name)
        if not path.is_file():
            raise DictionaryError(f"no dictionary {name!r}")
        path.unlink()
