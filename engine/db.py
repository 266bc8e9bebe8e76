"""engine.db: the one owner of this install's SQLite + cr-sqlite database.

All writes go through :meth:`Database.write`, which serializes them on one connection (one
writer) inside ``BEGIN IMMEDIATE`` and commits once. Reads use a second connection; WAL lets them
run while a write is in progress. Every connection is finalized for cr-sqlite before it closes.

A write that would put a value larger than :data:`MAX_VALUE_BYTES` into a replicated table is
refused before it commits: every change must fit in one push to central, or the install's queue
could never drain.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pysqlite3.dbapi2 as sqlite3

from engine import crsqlite, migrations, schema
from engine.errors import DatabaseUnusable, ValueTooLarge

log = logging.getLogger(__name__)

Connection = sqlite3.Connection

# The largest value (text or blob, in bytes) one cell of a replicated table may hold. However a
# value of this size is encoded on the wire (escaped text, base64 blobs), a push of it alone stays
# under the smallest body limit central accepts (replicator.wire.MIN_BODY_BYTES).
MAX_VALUE_BYTES = 1024 * 1024
# The largest primary key (cr-sqlite's packed form) of a replicated row: central indexes keys, and
# an index entry holds a few KB at most (replicator.wire.MAX_KEY_BYTES is the same figure).
MAX_KEY_BYTES = 1024
# This transaction's own changes with a value over the limit (cells written in a transaction show
# in crsql_changes at crsql_next_db_version(); pulled changes keep their origin's site_id).
_OVERSIZED = (
    'SELECT "table", cid, octet_length(val), octet_length(pk) FROM crsql_changes'
    " WHERE db_version = crsql_next_db_version() AND site_id = crsql_site_id()"
    " AND (octet_length(val) > ? OR octet_length(pk) > ?) LIMIT 1"
)


def _refuse_oversized_values(conn: Connection) -> None:
    found = conn.execute(_OVERSIZED, (MAX_VALUE_BYTES, MAX_KEY_BYTES)).fetchone()
    if found is None:
        return
    table, column, size, key_size = found
    if key_size > MAX_KEY_BYTES:
        raise ValueTooLarge(
            f"a row of {table} would have a key of {key_size:,} bytes; a synced row's key takes at "
            f"most {MAX_KEY_BYTES:,} bytes. Nothing was saved."
        )
    raise ValueTooLarge(
        f"{table}.{column} would hold {size:,} bytes; a synced value holds at most "
        f"{MAX_VALUE_BYTES:,} bytes (1 MiB). Nothing was saved."
    )


def _writable(path: Path) -> bool:
    """SQLite needs to write the file and, for its journal, the directory it is in."""
    where = os.access(path.parent, os.W_OK | os.X_OK)
    return where and (not path.exists() or os.access(path, os.R_OK | os.W_OK))


class Database:
    """Open (creating and migrating if needed) the engine database at ``path``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._write_lock = threading.RLock()
        self._read_lock = threading.Lock()
        self._after_commit: list[Callable[[], None]] = []
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnusable(
                f"cannot use {self.path.parent} as the data directory ({exc.strerror}: "
                f"{exc.filename}); pick a directory you may write to (--data-dir)"
            ) from exc
        if not _writable(self.path):  # SQLite would open it read-only and fail at the first write
            raise DatabaseUnusable(
                f"no permission to write {self.path} or its directory: run as the user who owns "
                "it, give yours write access, or pick another data directory (--data-dir)"
            )
        self._writer = self._open()
        try:
            # An acknowledged push must survive a power cut: see ARCHITECTURE.md, Durability.
            self._writer.execute("PRAGMA synchronous = FULL")
            migrations.migrate(self._writer)
            self.site_id: bytes = self._writer.execute("SELECT crsql_site_id()").fetchone()[0]
            self._reader = self._open()
        except sqlite3.DatabaseError as exc:
            crsqlite.close(self._writer)
            raise DatabaseUnusable(f"cannot use {self.path}: {exc}") from exc
        except BaseException:
            crsqlite.close(self._writer)
            raise

    def _open(self) -> Connection:
        try:
            conn = crsqlite.connect(self.path)
            conn.execute("PRAGMA busy_timeout = 5000")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnusable(
                f"{self.path} is not a usable LocaNext database ({exc}). Move it aside to start "
                "with an empty one; nothing in it has been changed."
            ) from exc
        if mode.lower() != "wal":
            log.warning("engine.db journal mode is %s, not WAL", mode)
        conn.execute("PRAGMA synchronous = NORMAL")  # readers; the writer raises it to FULL
        return conn

    @property
    def install_id(self) -> str:
        """This install's identity: its cr-sqlite site id, as lowercase hex."""
        return self.site_id.hex()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One unit of work: a write transaction on the single writer connection."""
        with self._write_lock:
            conn = self._writer
            nested = conn.in_transaction
            if not nested:
                conn.execute("BEGIN IMMEDIATE")
                written = conn.total_changes
            try:
                yield conn
                if not nested and conn.total_changes != written:
                    _refuse_oversized_values(conn)
            except BaseException:
                if not nested:
                    conn.execute("ROLLBACK")
                raise
            if not nested:
                conn.execute("COMMIT")
        if not nested:
            for callback in list(self._after_commit):
                callback()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._read_lock:
            yield self._reader

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A connection of its own holding one consistent read snapshot until the block ends.

        For long reads (the replicator streaming a backlog) that must not hold up the shared
        reader; writers go on meanwhile (WAL).
        """
        conn = self._open()
        try:
            conn.execute("BEGIN")
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            crsqlite.close(conn)

    def rekey(self, synced_up_to: int) -> int:
        """Give this database a new cr-sqlite site id (:func:`engine.crsqlite.rekey_site`): own
        changes central holds (up to ``synced_up_to``) stay the old site's, the rest become the
        new site's. Both connections are reopened so they know the new id; the caller must hold
        no snapshot. Returns how many own changes the new site has to send."""
        with self._write_lock, self._read_lock:
            for conn in (self._reader, self._writer):
                crsqlite.close(conn)
            conn = crsqlite.connect(self.path)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    kept = crsqlite.rekey_site(
                        conn,
                        uuid.uuid4().bytes,
                        synced_up_to,
                        schema.REPLICATED_TABLES,
                        owned_rows=schema.UP_TABLES,
                        self_rows=("installs",),
                    )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                crsqlite.close(conn)
            self._writer = self._open()
            self._writer.execute("PRAGMA synchronous = FULL")
            self._reader = self._open()
            old, self.site_id = (
                self.site_id,
                self._writer.execute("SELECT crsql_site_id()").fetchone()[0],
            )
        log.warning("engine.db re-keyed: site %s is now %s", old.hex(), self.install_id)
        return kept

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every committed write (the replicator's nudge)."""
        self._after_commit.append(callback)

    def close(self) -> None:
        """Finalize and close both connections; later calls do nothing."""
        with self._write_lock, self._read_lock:
            if self._closed:
                return
            self._closed = True
            for conn in (self._reader, self._writer):
                crsqlite.close(conn)
        log.debug("engine.db closed")
