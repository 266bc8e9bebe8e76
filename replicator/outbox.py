"""This install's own changes that central has not acknowledged, as a stream of pushes.

Only our own changes are sent (``site_id = crsql_site_id()``); changes pulled from central carry
their origin's site_id and so are not sent back, but for one case that changes nothing at
central: a pull that re-creates a deleted row leaves a cell we had written at col_version 0,
still ours, and it goes back once (ARCHITECTURE.md, cr-sqlite facts). The backlog is read with
one ordered query in one snapshot and cut into pushes as it streams, so a backlog of any size
drains with flat memory.
Pushes are cut by count and by encoded size, under the body limit central announces: they end at
a version boundary when full enough, a transaction too large for one push is split into parts,
and every push says, per version, how many changes the version has and its last seq, so central
can tell whole versions from parts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from engine.db import Connection
from replicator.wire import (
    CHANGE_COLUMNS,
    MAX_BODY_BYTES,
    Change,
    PartialVersion,
    PushRequest,
    VersionSpan,
)

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

# What a push's JSON holds besides its changes: the envelope (site_id, schema version, watermark,
# keys) and, per version, a span of three integers. Both are upper bounds.
ENVELOPE_BYTES = 1024
SPAN_BYTES = 96


def push_budget(max_body_bytes: int) -> int:
    """Bytes of changes and spans a push may hold under central's body limit, with a margin for
    gzip, which can grow incompressible data by a few bytes per block."""
    return max_body_bytes - max_body_bytes // 64 - ENVELOPE_BYTES


def encoded_size(change: Change) -> int:
    """Bytes ``change`` takes in a push's JSON, its separating comma included."""
    return len(change.__pydantic_serializer__.to_json(change)) + 1


def _spans(describe: Describe, changes: list[Change], cut_before: bool, cut_after: bool):
    counts: dict[int, list[int]] = {}
    for change in changes:
        entry = counts.setdefault(change.db_version, [0, 0])
        entry[0] += 1
        entry[1] = max(entry[1], change.seq)
    versions = list(counts)
    spans = []
    for i, version in enumerate(versions):
        if (i == 0 and cut_before) or (i == len(versions) - 1 and cut_after):
            count, last_seq = describe(version)
        else:
            count, last_seq = counts[version]
        spans.append(VersionSpan(db_version=version, count=count, last_seq=last_seq))
    return spans


def cut(
    rows: Iterable[tuple],
    describe: Describe,
    site_id: bytes,
    schema_version: int,
    continued: bool,
    *,
    target: int,
    limit: int,
    max_bytes: int,
) -> Iterator[PushRequest]:
    """Cut crsql_changes rows, in (db_version, seq) order, into pushes.

    A push ends at a version boundary once it holds ``target`` changes or three quarters of its
    byte budget (see :func:`push_budget`); a version that would take it past ``limit`` changes or
    past the budget is cut there and continues in the next push, so whole versions travel whole
    where they fit and larger ones in parts. Sizes are measured as the wire encodes each change.
    A single change always goes, alone if need be: the engine keeps every change well under the
    smallest budget. ``continued`` says the first version began in an earlier pass."""
    budget = push_budget(max_bytes)
    byte_target = budget * 3 // 4
    changes: list[Change] = []
    size = 0

    def flush(cut_after: bool) -> PushRequest:
        return PushRequest(
            site_id=site_id,
            schema_version=schema_version,
            versions=_spans(describe, changes, continued, cut_after),
            changes=changes,
        )

    for row in rows:
        change = Change.from_row(row)
        grows_by = encoded_size(change)
        new_version = not changes or change.db_version != changes[-1].db_version
        if new_version:
            grows_by += SPAN_BYTES
        if changes:
            if new_version and (len(changes) >= target or size >= byte_target):
                yield flush(cut_after=False)
                changes, size, continued = [], 0, False
            elif len(changes) >= limit or size + grows_by > budget:
                split = not new_version
                yield flush(cut_after=split)
                changes, size, continued = [], 0, split
                if split:
                    grows_by += SPAN_BYTES  # the version's span in the next push as well
        changes.append(change)
        size += grows_by
    if changes:
        yield flush(cut_after=False)


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
    max_bytes: int = MAX_BODY_BYTES,
) -> Iterator[PushRequest]:
    """Stream the backlog read on ``conn`` as pushes (see :func:`cut`) under central's body limit
    ``max_bytes``. A version cut by a push boundary is described by ``describe`` on another
    connection (cr-sqlite allows one open crsql_changes query per connection). That view can only
    be newer than the stream's snapshot, and a newer view of an old version only ever lacks seqs
    (overwritten cells move to new versions), so the stream always sends at least what it
    declares."""
    stream = backlog(conn, acked, partial)
    try:
        # the first version may have started in an earlier pass
        yield from cut(
            stream,
            describe,
            site_id,
            schema_version,
            partial is not None,
            target=target,
            limit=limit,
            max_bytes=max_bytes,
        )
    finally:
        stream.close()  # before anyone closes conn
