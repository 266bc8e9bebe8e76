"""Files only this user may read (the local API's key, the token, machine nonces), written whole.

The file is written beside its place with mode 0600 from the start (never readable by others,
not even for a moment) and renamed over the old one, so a crash leaves the old file or the new
one, never half of either."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` and a newline; its folder is made 0700 if missing."""
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
