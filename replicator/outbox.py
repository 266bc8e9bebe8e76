"""This install's own changes that central has not acknowledged, as a stream of pushes.

Only our own changes are sent (``site_id = crsql_site_id()``); changes pulled from central carry
their origin's site_id and so never go back. The backlog is read with one ordered query in one
snapshot and cut into pushes as it streams, so a backlog of any size drains with flat memory.
Pushes end at a version boundary once they hold ``target`` changes; a single transaction larger
than ``limit`` is split into parts, and every push says, per version, how many changes the
version has and its last seq, so central can tell whole versions from parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from engine.db import Connection
from replicator.wire import CHANGE_COLUMNS, Change, PartialVersion, PushRequest, VersionSpan

_COLUMNS = ", ".join(f'"{name}"' for name in CHANGE_COLUMNS)
_BACKLOG = (
    f"SELECT {_COLUMNS} FROM crsql_changes WHERE site_id = crsql_site_id() AND db_version > ?"
    " ORDER BY db_version, seq"
)
_VERSION = (
    "SELECT count(*), max(seq) FROM crsql_changes"
    " WHERE site_id = crsql_site_id() AND db_version = ?"
)
_DB_VERSION = CHANGE_COLUMNS.index("db_version")
_SEQ = CHANGE_COLUMNS.index("seq")


def backlog(conn: Connection, acked: int, partial: PartialVersion | None) -> Iterator[tuple]:
    """Our changes after ``acked`` in (db_version, seq) order, minus what central has parked.

    Close the generator before closing ``conn``: cr-sqlite must not see its connection finalized
    under an open crsql_changes cursor."""
    cursor = conn.execute(_BACKLOG, (acked,))
    try:
        for row in cursor:
            if partial and row[_DB_VERSION] == partial.db_version and row[_SEQ] < partial.next_seq:
                continue
            yield row
    finally:
        cursor.close()


def version_size(conn: Connection, db_version: int) -> tuple[int, int]:
    """(changes, last seq) of one of our versions as ``conn`` sees it now."""
    count, last_seq = conn.execute(_VERSION, (db_version,)).fetchone()
    return count, last_seq


Describe = Callable[[int], tuple[int, int]]


def _spans(describe: Describe, rows: list[tuple], cut_before: bool, cut_after: bool):
    counts: dict[int, list[int]] = {}
    for row in rows:
        entry = counts.setdefault(row[_DB_VERSION], [0, 0])
        entry[0] += 1
        entry[1] = max(entry[1], row[_SEQ])
    versions = list(counts)
    spans = []
    for i, version in enumerate(versions):
        if (i == 0 and cut_before) or (i == len(versions) - 1 and cut_after):
            count, last_seq = describe(version)
        else:
            count, last_seq = counts[version]
        spans.append(VersionSpan(db_version=version, count=count, last_seq=last_seq))
    return spans


def pushes(
    conn: Connection,
    describe: Describe,
    site_id: bytes,
    schema_version: int,
    acked: int,
    partial: PartialVersion | None,
    *,
    target: int,
    limit: int,
) -> Iterator[PushRequest]:
    """Stream the backlog read on ``conn`` as pushes of about ``target`` changes (never more than
    ``limit``). A version cut by a push boundary is described by ``describe`` on another
    connection (cr-sqlite allows one open crsql_changes query per connection). That view can only
    be newer than the stream's snapshot, and a newer view of an old version only ever lacks seqs
    (overwritten cells move to new versions), so the stream always sends at least what it
    declares."""
    rows: list[tuple] = []
    continued = partial is not None  # the first version may have started in an earlier pass

    def flush(cut_after: bool) -> PushRequest:
        return PushRequest(
            site_id=site_id,
            schema_version=schema_version,
            versions=_spans(describe, rows, continued, cut_after),
            changes=[Change.from_row(r) for r in rows],
        )

    stream = backlog(conn, acked, partial)
    try:
        for row in stream:
            if rows and row[_DB_VERSION] != rows[-1][_DB_VERSION] and len(rows) >= target:
                yield flush(cut_after=False)
                rows, continued = [], False
            elif len(rows) >= limit:
                cut = row[_DB_VERSION] == rows[-1][_DB_VERSION]
                yield flush(cut_after=cut)
                rows, continued = [], cut
            rows.append(row)
        if rows:
            yield flush(cut_after=False)
    finally:
        stream.close()  # before anyone closes conn
