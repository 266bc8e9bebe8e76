"""Finding and loading the cr-sqlite extension.

The stdlib sqlite3 of this Python cannot load extensions, so connections come from pysqlite3
(a recent SQLite with extension loading). Every connection that loaded cr-sqlite must call
``crsql_finalize()`` before it closes; :func:`close` does that.
"""

from __future__ import annotations

import os
from pathlib import Path

import pysqlite3.dbapi2 as sqlite3

from engine.errors import ExtensionMissing

CRSQLITE_VERSION = "0.16.3"


def cache_dir() -> Path:
    """Where build outputs live, outside the tracked tree (scripts/build_crsqlite.sh agrees)."""
    explicit = os.environ.get("LOCANEXT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "locanext"


def built_path() -> Path:
    """Where scripts/build_crsqlite.sh installs the extension."""
    return cache_dir() / f"crsqlite-{CRSQLITE_VERSION}" / "crsqlite.so"


def extension_path() -> Path:
    explicit = os.environ.get("LOCANEXT_CRSQLITE_PATH")
    path = Path(explicit) if explicit else built_path()
    if not path.is_file():
        raise ExtensionMissing(
            f"cr-sqlite extension not found at {path}. Build it with `make crsqlite` "
            "(scripts/build_crsqlite.sh) or set LOCANEXT_CRSQLITE_PATH."
        )
    return path


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` with cr-sqlite loaded, in autocommit mode (we issue BEGIN ourselves)."""
    # As a file: URI, percent-encoded: a folder named "a#b" or "x?y" must not become a fragment
    # or a query (which would open another file). ":memory:" stays SQLite's in-memory database.
    uri = "file::memory:" if str(path) == ":memory:" else Path(path).absolute().as_uri()
    uri += "?mode=ro" if readonly else ""
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        # A file that is not a database fails here with DatabaseError, before cr-sqlite's own
        # initialization would fail with a vaguer message.
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        raise
    try:
        conn.enable_load_extension(True)
        conn.load_extension(str(extension_path()))
        conn.enable_load_extension(False)
    except sqlite3.Error as exc:
        conn.close()
        raise ExtensionMissing(f"cannot load cr-sqlite from {extension_path()}: {exc}") from exc
    except ExtensionMissing:
        conn.close()
        raise
    return conn


def close(conn: sqlite3.Connection) -> None:
    """Finalize cr-sqlite's state on ``conn`` and close it."""
    try:
        conn.execute("SELECT crsql_finalize()")
    finally:
        conn.close()
