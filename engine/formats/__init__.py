"""File formats the localization tools read and write.

Readers yield :class:`Entry` rows and raise :class:`FormatError` naming the file, sheet and row.
Writers never leave a half-written file: they write through :func:`atomic_output`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ToolFailed


class FormatError(ToolFailed):
    """A file cannot be read as the format it claims; the message says where."""

    code = "bad_file"

    def __init__(
        self, path: Path, problem: str, *, sheet: str | None = None, row: int | None = None
    ) -> None:
        where = path.name
        if sheet is not None:
            where += f", sheet {sheet!r}"
        if row is not None:
            where += f", row {row}"
        super().__init__(f"{where}: {problem}")
        self.path, self.sheet, self.row = path, sheet, row


@dataclass(frozen=True, slots=True)
class Entry:
    """One localized string: its id (may be empty), the source text and its translation.

    ``kind`` is what sort of pair a dictionary keeps it as (XLS Transfer: a ``split`` line pair
    or a ``whole`` text); readers of files leave it empty.
    """

    string_id: str
    source: str
    translation: str
    kind: str = ""


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only if the block succeeds.

    The result has the permissions of the file it replaces, or else those of any new file (the
    umask decides): colleagues on a shared folder can open it, unlike mkstemp's 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_beside(path)
    try:
        yield tmp
        with contextlib.suppress(FileNotFoundError):
            replaced = path.stat()
            if stat.S_ISREG(replaced.st_mode):
                os.chmod(tmp, stat.S_IMODE(replaced.st_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary_beside(path: Path) -> Path:
    """Create an empty ``.<name>.<random>.tmp`` beside ``path``, mode 0666 less the umask."""
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"cannot create a temporary file beside {path}")
