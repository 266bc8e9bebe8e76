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


def rekey_site(
    conn: sqlite3.Connection,
    new_site: bytes,
    synced_up_to: int,
    tables: tuple[str, ...],
    owned_rows: tuple[str, ...],
    self_rows: tuple[str, ...],
) -> int:
    """Give this database the site id ``new_site``, inside the caller's transaction; returns how
    many of its own changes are the new site's.

    cr-sqlite keeps its own site id at ordinal 0 of ``crsql_site_id`` and every clock names its
    site by ordinal, 0 meaning "ours". The old id moves to a new ordinal, with the own changes
    central already holds (``db_version <= synced_up_to``): they become the old site's, as if
    merged from it. The rest stay at 0, now the new site's, so they are sent again under the new
    id. Rows of ``owned_rows`` tables that central holds a part of belong to the old site (central
    lets no other site write them), and rows of ``self_rows`` (the site describing itself) too,
    so all their clocks go with the old id. Connections opened before this still know the old id:
    reopen them."""
    old = conn.execute("SELECT coalesce(max(ordinal), 0) + 1 FROM crsql_site_id").fetchone()[0]
    conn.execute("UPDATE crsql_site_id SET ordinal = ? WHERE ordinal = 0", (old,))
    conn.execute("INSERT INTO crsql_site_id (site_id, ordinal) VALUES (?, 0)", (new_site,))
    kept = 0
    for table in tables:
        clock = f'"{table}__crsql_clock"'
        conn.execute(
            f"UPDATE {clock} SET site_id = ? WHERE site_id = 0 AND db_version <= ?",  # noqa: S608
            (old, synced_up_to),
        )
        if table in self_rows:
            conn.execute(f"UPDATE {clock} SET site_id = ? WHERE site_id = 0", (old,))  # noqa: S608
        elif table in owned_rows:
            conn.execute(
                f"UPDATE {clock} SET site_id = ? WHERE site_id = 0"  # noqa: S608
                f" AND key IN (SELECT key FROM {clock} WHERE site_id = ?)",
                (old, old),
            )
        kept += conn.execute(f"SELECT count(*) FROM {clock} WHERE site_id = 0").fetchone()[0]  # noqa: S608
    return int(kept)
