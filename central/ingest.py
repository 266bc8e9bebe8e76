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

Steps 1 and 2 are decided by :func:`central.push_plan.plan_push` from what is read here (the
watermark, parked counts, declared sizes); :func:`push` then applies that plan.

Cells of columns central does not know (an install one schema version ahead) are parked with
reason ``unknown_column`` instead of failing the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import sqlvalues
from central.accounts import Install
from central.batch_merge import merge_batch
from central.errors import Forbidden
from central.merge import begin_merge, change_from_clock
from central.push_plan import PushPlan, check_spans, plan_push
from central.rights import check_stored, validate
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


def _held(
    conn: Connection, site: bytes, versions: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """What central holds of the site's unfinished ``versions``: parked changes per version, and
    the sizes declared by parts that carried a version's last seq."""
    parked = conn.execute(
        select(parked_changes.c.db_version, func.count())
        .where(parked_changes.c.site_id == site, parked_changes.c.db_version.in_(versions))
        .group_by(parked_changes.c.db_version)
    ).all()
    declared = conn.execute(
        select(partial_versions.c.db_version, partial_versions.c.declared).where(
            partial_versions.c.site_id == site, partial_versions.c.db_version.in_(versions)
        )
    ).all()
    return {v: n for v, n in parked}, {v: n for v, n in declared}


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


def _declare(conn: Connection, site: bytes, spans: Sequence[VersionSpan]) -> None:
    for span in spans:
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


@dataclass(frozen=True)
class CheckedPush:
    """A push that passed every check needing no database: its versions and its changes."""

    install: Install
    request: PushRequest
    spans: dict[int, VersionSpan]
    checked: list[tuple[Change, SqlValue]]
    unknown: list[Change]


def check(install: Install, request: PushRequest) -> CheckedPush:
    """The checks of a push that read nothing stored (schema, site, spans, rights per change);
    made before it waits for the merge lock."""
    check_schema(request.schema_version)
    if request.site_id != install.site_id:
        raise Forbidden(
            f"this token belongs to install {install.install_id}, not {request.site_id.hex()}"
        )
    spans = check_spans(request)
    checked, unknown = validate(request.changes, install)
    return CheckedPush(install, request, spans, checked, unknown)


def take(conn: Connection, push: CheckedPush, db_version: int) -> PushResponse:
    """Take in a checked push inside the caller's merge transaction (which holds the merge lock
    and stamps ``db_version``): plan it from what is stored, apply the plan."""
    install = push.install
    acked = _watermark(conn, install)
    parked, declared = _held(conn, install.site_id, [v for v in push.spans if v > acked])
    plan = plan_push(
        push.spans,
        push.checked,
        push.unknown,
        since=push.request.since,
        acked=acked,
        parked=parked,
        declared=declared,
    )
    return _apply(conn, install, plan, push.request, db_version)


def push(conn: Connection, install: Install, request: PushRequest) -> PushResponse:
    """Take in a push inside the caller's transaction: check it, plan it, apply the plan."""
    checked = check(install, request)
    return take(conn, checked, begin_merge(conn))


def _apply(
    conn: Connection, install: Install, plan: PushPlan, request: PushRequest, db_version: int
) -> PushResponse:
    """Park, complete, merge and move the watermark, all in the caller's transaction."""
    site = install.site_id
    _park(conn, plan.park_unknown, UNKNOWN_COLUMN, request.schema_version)
    _park(conn, plan.park_incomplete, INCOMPLETE, request.schema_version)
    _declare(conn, site, plan.declare)
    ready = list(plan.merge)
    for version in plan.unpark:
        ready += [(c, pk.unpack(c.pk)[0]) for c in _unpark(conn, site, version)]
    ready.sort(key=lambda pair: (pair[0].db_version, pair[0].seq))
    check_stored(conn, ready, install)
    merged = merge_batch(conn, ready, db_version)
    conn.execute(
        update(enrollments)
        .where(enrollments.c.install_id == install.install_id)
        .values(acked_db_version=plan.watermark, last_push=datetime.now(UTC))
    )
    log.info(
        "install %s pushed %d changes: %d merged (%d applied), %d parked, acked %d",
        install.install_id,
        len(request.changes),
        len(ready),
        merged.applied,
        plan.parked,
        plan.watermark,
    )
    return PushResponse(
        acked_db_version=plan.watermark,
        applied=merged.applied,
        parked=plan.parked,
        partial=partial_version(conn, site, plan.watermark),
    )
