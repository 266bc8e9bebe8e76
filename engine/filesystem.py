"""The user's own folders, listed for the file picker of the app in a browser (headless mode,
where no native dialog exists): where to start, and what one folder holds.

The engine serves only 127.0.0.1 and runs as the user, so it lists what the user may read
anyway; the listing never reads a file's content.
"""

from __future__ import annotations

import os
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.errors import EngineError

# A folder with more entries than this is cut (the picker says so).
MAX_ENTRIES = 5000


class CannotList(EngineError):
    """A folder does not exist, is not a folder, or cannot be read."""

    status = 404
    code = "cannot_list"


@dataclass(frozen=True)
class Item:
    name: str
    path: str
    folder: bool
    size: int | None
    modified: str


@dataclass(frozen=True)
class Listing:
    path: str
    parent: str | None
    items: list[Item]
    cut: bool  # more than MAX_ENTRIES entries: the rest is not listed


def places(data_dir: Path | None = None) -> list[tuple[str, str]]:
    """(label, path) of the places a picker starts from: home, the app's data folder, and the
    drives (Windows) or the root (elsewhere)."""
    found = [("Home", str(Path.home()))]
    if data_dir is not None:
        found.append(("LocaNext data", str(data_dir)))
    if sys.platform == "win32":
        found += [(f"{d}:", f"{d}:\\") for d in string.ascii_uppercase if os.path.isdir(f"{d}:\\")]
    else:
        found.append(("Computer", "/"))
    return found


def _items(folder: Path, suffixes: Iterable[str] | None, hidden: bool) -> Iterable[Item]:
    wanted = {s.lower() for s in suffixes} if suffixes else None
    with os.scandir(folder) as entries:
        for entry in entries:
            if not hidden and entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
                stat = entry.stat()
            except OSError:  # a broken link, or no permission to look
                continue
            if not is_dir and wanted is not None and Path(entry.name).suffix.lower() not in wanted:
                continue
            yield Item(
                name=entry.name,
                path=entry.path,
                folder=is_dir,
                size=None if is_dir else stat.st_size,
                modified=datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(timespec="seconds"),
            )


def list_folder(
    path: str | Path, *, suffixes: Iterable[str] | None = None, hidden: bool = False
) -> Listing:
    """The folders and files of ``path`` (files only with one of ``suffixes``, when given),
    folders first, each group by name; raises CannotList."""
    folder = Path(path).expanduser()
    if not folder.is_absolute():
        raise CannotList(f"{path}: give a full path")
    folder = folder.resolve()
    if not folder.is_dir():
        raise CannotList(f"{folder} is not a folder (or is gone)")
    try:
        items = sorted(
            _items(folder, suffixes, hidden), key=lambda i: (not i.folder, i.name.casefold())
        )
    except PermissionError:
        raise CannotList(f"{folder}: no permission to read this folder") from None
    except OSError as exc:
        raise CannotList(f"{folder}: {exc.strerror or exc}") from None
    parent = None if folder.parent == folder else str(folder.parent)
    return Listing(str(folder), parent, items[:MAX_ENTRIES], len(items) > MAX_ENTRIES)
