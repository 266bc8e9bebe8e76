"""Taking in a push exactly once: the site's watermark, parked parts, and the merge.

Per install (= cr-sqlite site) central keeps ``enrollments.acked_db_version``: every version of
that site up to it is merged. A push is handled in one transaction that holds the merge lock and
the site's enrollment row:

1. a push that starts past the watermark (``since > acked``: an earlier push was lost or is
   overtaken) is refused; versions at or below the watermark are dropped (a re-sent or replayed
   batch changes nothing);
2. a version is *complete* when central holds all of it: the push carries it whole, or the part
   carrying its last seq has arrived and, with the parts parked earlier, it has as many changes as
   the install counted. Incomplete parts are parked in ``parked_changes`` and never shown;
3. complete versions (with their parked parts) are merged in one batch and the watermark moves to
   the last of them, in the same transaction; so a crash anywhere leaves either all or nothing.

Cells of columns central does not know (an install one schema version ahead) are parked with
reason ``unknown_column`` instead of failing the batch.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import sqlvalues
from central.accounts import Install
from central.batch_merge import merge_batch
from central.errors import BadChangeset, Conflict, Forbidden
from central.merge import begin_merge, change_from_clock
from central.rights import check_owner, validate
from central.schema_policy import check_schema
from central.tables import enrollments, parked_changes, partial_versions
from replicator.wire import (
    Change,
    PartialVersion,
    PushRequest,
    PushResponse,
    SiteState,
    SqlValue,
    VersionSpan,
    pk,
)

log = logging.getLogger(__name__)

INCOMPLETE, UNKNOWN_COLUMN = "incomplete", "unknown_column"


def _spans(request: PushRequest) -> dict[int, VersionSpan]:
    spans = {s.db_version: s for s in request.versions}
    if len(spans) != len(request.versions):
        raise BadChangeset("versions: a db_version is listed twice")
    previous = (-1, -1)
    for index, change in enumerate(request.changes):
        position = (change.db_version, change.seq)
        if position <= previous:
            raise BadChangeset(f"change #{index}: changes must be in (db_version, seq) order")
        previous = position
        span = spans.get(change.db_version)
        if span is None:
            raise BadChangeset(f"change #{index}: db_version {change.db_version} has no span")
        if change.seq > span.last_seq:
            raise BadChangeset(f"change #{index}: seq {change.seq} is past its version's last")
    return spans


def _park(conn: Connection, changes: Sequence[Change], reason: str, schema_version: int) -> None:
    if not changes:
        return
    rows = [
        {
            "site_id": c.site_id,
            "db_version": c.db_version,
            "seq": c.seq,
            "reason": reason,
            "tbl": c.table,
            "pk": c.pk,
            "cid": c.cid,
            "col_version": c.col_version,
            "cl": c.cl,
            "schema_version": schema_version,
            "received": datetime.now(UTC),
            **sqlvalues.to_clock(c.val),
        }
        for c in changes
    ]
    conn.execute(pg_insert(parked_changes).on_conflict_do_nothing(), rows)


def _parked_counts(conn: Connection, site: bytes, versions: list[int]) -> dict[int, int]:
    rows = conn.execute(
        select(parked_changes.c.db_version, func.count())
        .where(parked_changes.c.site_id == site, parked_changes.c.db_version.in_(versions))
        .group_by(parked_changes.c.db_version)
    ).all()
    return {version: count for version, count in rows}


def _unpark(conn: Connection, site: bytes, version: int) -> list[Change]:
    """The parked parts of a version that is now complete, removed from the parking."""
    where = (
        (parked_changes.c.site_id == site)
        & (parked_changes.c.db_version == version)
        & (parked_changes.c.reason == INCOMPLETE)
    )
    rows = conn.execute(select(parked_changes).where(where).order_by(parked_changes.c.seq)).all()
    conn.execute(delete(parked_changes).where(where))
    conn.execute(
        delete(partial_versions).where(
            partial_versions.c.site_id == site, partial_versions.c.db_version == version
        )
    )
    return [change_from_clock(r) for r in rows]


def _complete(
    conn: Connection, site: bytes, span: VersionSpan, part: Sequence[Change], earlier: int
) -> bool:
    """Is this version complete once ``part`` is added to the ``earlier`` parked changes?"""
    carries_end = part[-1].seq == span.last_seq
    if carries_end and not earlier and len(part) == span.count:
        return True  # the common case: the whole version in one push
    if carries_end:
        conn.execute(
            pg_insert(partial_versions)
            .values(
                site_id=site,
                db_version=span.db_version,
                declared=span.count,
                last_seq=span.last_seq,
            )
            .on_conflict_do_update(
                index_elements=["site_id", "db_version"],
                set_={"declared": span.count, "last_seq": span.last_seq},
            )
        )
    declared = conn.execute(
        select(partial_versions.c.declared).where(
            partial_versions.c.site_id == site, partial_versions.c.db_version == span.db_version
        )
    ).scalar_one_or_none()
    # Parts come in seq order from a snapshot, so holding the last part and at least as many
    # changes as the install counted means holding the whole version.
    return declared is not None and earlier + len(part) >= declared


def _watermark(conn: Connection, install: Install) -> int:
    return conn.execute(
        select(enrollments.c.acked_db_version)
        .where(enrollments.c.install_id == install.install_id)
        .with_for_update()
    ).scalar_one()


def partial_version(conn: Connection, site: bytes, acked: int) -> PartialVersion | None:
    row = conn.execute(
        select(parked_changes.c.db_version, func.max(parked_changes.c.seq))
        .where(
            parked_changes.c.site_id == site,
            parked_changes.c.db_version > acked,
        )
        .group_by(parked_changes.c.db_version)
        .order_by(parked_changes.c.db_version.desc())
        .limit(1)
    ).first()
    return None if row is None else PartialVersion(db_version=row[0], next_seq=row[1] + 1)


def site_state(conn: Connection, install: Install) -> SiteState:
    """Where the install's replicator resumes: the watermark and the part of a version held."""
    acked = conn.execute(
        select(enrollments.c.acked_db_version).where(enrollments.c.install_id == install.install_id)
    ).scalar_one()
    return SiteState(acked_db_version=acked, partial=partial_version(conn, install.site_id, acked))


def push(conn: Connection, install: Install, request: PushRequest) -> PushResponse:
    """Take in a push inside the caller's transaction."""
    check_schema(request.schema_version)
    if request.site_id != install.site_id:
        raise Forbidden(
            f"this token belongs to install {install.install_id}, not {request.site_id.hex()}"
        )
    spans = _spans(request)
    checked, unknown = validate(request.changes, install)
    version = begin_merge(conn)
    acked = _watermark(conn, install)
    if request.since > acked:
        raise Conflict(
            f"this push follows version {request.since}, but central holds this install's "
            f"versions only up to {acked}; resume from there"
        )
    by_version: dict[int, list[tuple[Change, SqlValue]]] = defaultdict(list)
    for change, key in checked:
        if change.db_version > acked:
            by_version[change.db_version].append((change, key))
    unknown = [c for c in unknown if c.db_version > acked]
    versions = sorted(set(by_version) | {c.db_version for c in unknown})
    earlier = _parked_counts(conn, install.site_id, versions)
    _park(conn, unknown, UNKNOWN_COLUMN, request.schema_version)

    ready: list[tuple[Change, SqlValue]] = []
    top, parked, stopped = acked, len(unknown), None
    for db_version in versions:
        if stopped is not None:
            raise BadChangeset(
                f"version {stopped} is incomplete, yet the push goes on with version {db_version}"
            )
        part = by_version.get(db_version, [])
        changes = [c for c, _ in part]
        here = sorted(
            changes + [c for c in unknown if c.db_version == db_version], key=lambda c: c.seq
        )
        before = earlier.get(db_version, 0)
        if _complete(conn, install.site_id, spans[db_version], here, before):
            if before:
                ready += [
                    (c, pk.unpack(c.pk)[0]) for c in _unpark(conn, install.site_id, db_version)
                ]
            ready += part
            top = db_version
        else:
            _park(conn, changes, INCOMPLETE, request.schema_version)
            parked += len(changes)
            stopped = db_version
    ready.sort(key=lambda pair: (pair[0].db_version, pair[0].seq))
    check_owner(conn, ready, install)
    merged = merge_batch(conn, ready, version)
    conn.execute(
        update(enrollments)
        .where(enrollments.c.install_id == install.install_id)
        .values(acked_db_version=top, last_push=datetime.now(UTC))
    )
    log.info(
        "install %s pushed %d changes: %d merged (%d applied), %d parked, acked %d",
        install.install_id,
        len(request.changes),
        len(ready),
        merged.applied,
        parked,
        top,
    )
    return PushResponse(
        acked_db_version=top,
        applied=merged.applied,
        parked=parked,
        partial=partial_version(conn, install.site_id, top),
    )
