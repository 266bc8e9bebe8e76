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
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Connection, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import epoch, sqlvalues
from central.accounts import Install
from central.batch_merge import merge_batch
from central.errors import CentralError, Forbidden
from central.merge import CHANGE_FROM_CLOCK, begin_merge, change_from_clock
from central.push_plan import PushPlan, check_spans, plan_push
from central.rights import check_stored, stored_offences, validate
from central.schema_policy import check_schema
from central.tables import REPLICATED, enrollments, parked_changes, partial_versions
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
    return SiteState(
        acked_db_version=acked,
        partial=partial_version(conn, install.site_id, acked),
        epoch=epoch.current(conn),
    )


# The sites' watermarks (their enrollment rows locked, in one order so that two lockers of
# several rows never wait on each other), and what central holds of their versions past them:
# parked changes per version ('parked') and the sizes declared by parts that carried a version's
# last seq ('declared'). One round trip for any number of sites: a push waits for the merge lock
# meanwhile.
_HELD = text(
    """
    WITH w AS (
        SELECT e.install_id, s.site, e.acked_db_version AS acked
          FROM enrollments e
          JOIN unnest(CAST(:installs AS text[]), CAST(:sites AS bytea[])) AS s(install, site)
            ON e.install_id = s.install
         ORDER BY e.install_id
           FOR UPDATE OF e
    )
    SELECT w.install_id, 'acked' AS kind, w.acked AS db_version, 0 AS n FROM w
    UNION ALL
    SELECT w.install_id, 'parked', p.db_version, count(*) FROM parked_changes p, w
     WHERE p.site_id = w.site AND p.db_version > w.acked GROUP BY w.install_id, p.db_version
    UNION ALL
    SELECT w.install_id, 'declared', d.db_version, d.declared FROM partial_versions d, w
     WHERE d.site_id = w.site AND d.db_version > w.acked
    """
)


@dataclass(frozen=True)
class _Held:
    acked: int
    parked: dict[int, int]  # versions past the watermark: changes parked
    declared: dict[int, int]  # versions past the watermark: declared size


def _held(conn: Connection, installs: Sequence[Install]) -> dict[str, _Held]:
    """What central holds of each of these installs (by install id)."""
    unique = {i.install_id: i.site_id for i in installs}
    params = {"installs": list(unique), "sites": list(unique.values())}
    by_install: dict[str, dict[str, dict[int, int]]] = {}
    for install_id, kind, version, n in conn.execute(_HELD, params).all():
        kinds = by_install.setdefault(install_id, {"acked": {}, "parked": {}, "declared": {}})
        kinds[kind][version] = n
    held = {}
    for install_id, kinds in by_install.items():
        (acked,) = kinds["acked"]
        held[install_id] = _Held(acked, kinds["parked"], kinds["declared"])
    return held


def _parts(site: bytes, version: int) -> ColumnElement[bool]:
    """A version's parked parts (not its cells of unknown columns, which stay parked)."""
    return (
        (parked_changes.c.site_id == site)
        & (parked_changes.c.db_version == version)
        & (parked_changes.c.reason == INCOMPLETE)
    )


def _unpark(conn: Connection, site: bytes, version: int) -> list[Change]:
    """The parked parts of a version that is now complete, removed from the parking."""
    columns = [parked_changes.c[name] for name in CHANGE_FROM_CLOCK]
    where = _parts(site, version)
    rows = conn.execute(select(*columns).where(where).order_by(parked_changes.c.seq)).all()
    _forget(conn, site, version)
    return [change_from_clock(r) for r in rows]


def _forget(conn: Connection, site: bytes, version: int) -> None:
    """Remove a version's parked parts and declared size."""
    conn.execute(delete(parked_changes).where(_parts(site, version)))
    conn.execute(
        delete(partial_versions).where(
            partial_versions.c.site_id == site, partial_versions.c.db_version == version
        )
    )


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


@dataclass(frozen=True)
class Prepared:
    """A push planned and applied but for the merge itself: its changes ready to merge."""

    push: CheckedPush
    plan: PushPlan
    ready: list[tuple[Change, SqlValue]]
    partial_possible: bool  # something of the site stays parked past the new watermark


@dataclass
class Group:
    """What the pushes merged together in one transaction share: the upstream rows they write
    (a row another of them writes is another install's) and the watermarks they moved, written
    in one statement at the end (:func:`record_watermarks`)."""

    claims: dict[tuple[str, bytes], bytes] = field(default_factory=dict)
    watermarks: dict[str, int] = field(default_factory=dict)


def prepare(conn: Connection, push: CheckedPush, group: Group | None = None) -> Prepared:
    """Everything of taking a push but the merge, inside the caller's merge transaction (which
    holds the merge lock): plan it from what is stored, park, complete, check against central's
    clocks, and move the watermark (at once, or in ``group``). A refusal changes nothing."""
    install = push.install
    held = _held(conn, [install])[install.install_id]
    plan = _plan(push, held, group)
    if _writes(plan):  # undone by the savepoint when a check below refuses the push
        with conn.begin_nested():
            ready = _park_and_complete(conn, push, plan, group)
    else:
        ready = sorted(plan.merge, key=_order)
        check_stored(conn, ready, install)
        _claim(ready, install, group)
    return _prepared(conn, push, held, plan, ready, group)


def prepare_all(
    conn: Connection, pushes: Sequence[CheckedPush], group: Group
) -> list[Prepared | CentralError]:
    """:func:`prepare` for the pushes of a group commit, in arrival order, each prepared or
    refused; what they all read is read once (watermarks and parking in one statement, the
    checks against central's clocks in two), so a group of any size costs a few round trips.

    A push that parks or unparks, and an install's second push in the group (it must see what
    the first one did), is prepared alone, in its turn. The others are checked together against
    the clocks as they were before the group, as they would be one by one: nothing is merged
    before every push of the group is prepared."""
    held = _held(conn, [p.install for p in pushes])
    together: dict[int, tuple[PushPlan, list[tuple[Change, SqlValue]]]] = {}
    seen: set[str] = set()
    for n, push in enumerate(pushes):
        install_id = push.install.install_id
        if install_id in seen:
            continue
        seen.add(install_id)
        try:
            plan = _plan(push, held[install_id], None)
        except CentralError:  # refused in its turn below
            continue
        if not _writes(plan):
            together[n] = (plan, sorted(plan.merge, key=_order))
    offences = stored_offences(
        conn, {n: (ready, pushes[n].install) for n, (_, ready) in together.items()}
    )
    outcomes: list[Prepared | CentralError] = []
    for n, push in enumerate(pushes):
        try:
            if n not in together:
                outcomes.append(prepare(conn, push, group))
                continue
            offence = offences.get(n)
            if offence is not None:
                raise offence
            plan, ready = together[n]
            _claim(ready, push.install, group)
            outcomes.append(
                _prepared(conn, push, held[push.install.install_id], plan, ready, group)
            )
        except CentralError as exc:  # refused: it changed nothing
            outcomes.append(exc)
    return outcomes


def _writes(plan: PushPlan) -> bool:
    """Whether taking the push writes to the parking (so is prepared alone, in a savepoint)."""
    return bool(
        plan.park_unknown or plan.park_incomplete or plan.declare or plan.unpark or plan.discard
    )


def _plan(push: CheckedPush, held: _Held, group: Group | None) -> PushPlan:
    install = push.install
    acked = held.acked if group is None else group.watermarks.get(install.install_id, held.acked)
    return plan_push(
        push.spans,
        push.checked,
        push.unknown,
        since=push.request.since,
        acked=acked,
        parked=held.parked,
        declared=held.declared,
    )


def _prepared(
    conn: Connection,
    push: CheckedPush,
    held: _Held,
    plan: PushPlan,
    ready: list[tuple[Change, SqlValue]],
    group: Group | None,
) -> Prepared:
    """The push accepted: its watermark moved (at once, or in ``group``)."""
    install = push.install
    if group is None:
        record_watermarks(conn, {install.install_id: plan.watermark})
    else:
        group.watermarks[install.install_id] = plan.watermark
    partial = bool(plan.park_incomplete) or any(v > plan.watermark for v in held.parked)
    return Prepared(push, plan, ready, partial)


def _order(pair: tuple[Change, SqlValue]) -> tuple[int, int]:
    return pair[0].db_version, pair[0].seq


def _park_and_complete(
    conn: Connection, push: CheckedPush, plan: PushPlan, group: Group | None
) -> list[tuple[Change, SqlValue]]:
    site = push.install.site_id
    _park(conn, plan.park_unknown, UNKNOWN_COLUMN, push.request.schema_version)
    _park(conn, plan.park_incomplete, INCOMPLETE, push.request.schema_version)
    _declare(conn, site, plan.declare)
    for version in plan.discard:
        _forget(conn, site, version)
    ready = list(plan.merge)
    for version in plan.unpark:
        ready += [(c, pk.unpack(c.pk)[0]) for c in _unpark(conn, site, version)]
    return _checked(conn, sorted(ready, key=_order), push.install, group)


def _checked(
    conn: Connection, ready: list[tuple[Change, SqlValue]], install: Install, group: Group | None
) -> list[tuple[Change, SqlValue]]:
    check_stored(conn, ready, install)
    _claim(ready, install, group)
    return ready


def _claim(ready: list[tuple[Change, SqlValue]], install: Install, group: Group | None) -> None:
    """The upstream rows of an accepted push are its install's for the rest of ``group``: a
    later push of the group writing one of them is another install's, refused as it would be
    once this one is merged."""
    if group is None:
        return
    rows = {(c.table, c.pk) for c, _ in ready if REPLICATED[c.table].direction == "up"}
    for table, key in rows:
        if group.claims.get((table, key), install.site_id) != install.site_id:
            raise Forbidden(f"{table} row {pk.unpack(key)[0]!r} belongs to another install")
    group.claims.update(dict.fromkeys(rows, install.site_id))


def record_watermarks(conn: Connection, watermarks: dict[str, int]) -> None:
    """Move installs' watermarks (and their last push time), in one statement."""
    if not watermarks:
        return
    conn.execute(
        text(
            "UPDATE enrollments e SET acked_db_version = m.acked, last_push = :now"
            " FROM unnest(CAST(:ids AS text[]), CAST(:acked AS bigint[])) AS m(id, acked)"
            " WHERE e.install_id = m.id"
        ),
        {"ids": list(watermarks), "acked": list(watermarks.values()), "now": datetime.now(UTC)},
    )


def answer(conn: Connection, prepared: Prepared, applied: int) -> PushResponse:
    """The push's answer once its changes are merged (``applied`` of them changed the mirror)."""
    install, plan = prepared.push.install, prepared.plan
    log.info(
        "install %s pushed %d changes: %d merged (%d applied), %d parked, acked %d",
        install.install_id,
        len(prepared.push.request.changes),
        len(prepared.ready),
        applied,
        plan.parked,
        plan.watermark,
    )
    partial = (
        partial_version(conn, install.site_id, plan.watermark)
        if prepared.partial_possible
        else None
    )
    return PushResponse(
        acked_db_version=plan.watermark, applied=applied, parked=plan.parked, partial=partial
    )


def take(conn: Connection, push: CheckedPush, db_version: int) -> PushResponse:
    """Take in a checked push inside the caller's merge transaction (which holds the merge lock
    and stamps ``db_version``): plan it from what is stored, apply the plan, merge."""
    prepared = prepare(conn, push)
    merged = merge_batch(conn, prepared.ready, db_version)
    return answer(conn, prepared, merged.applied)


def push(conn: Connection, install: Install, request: PushRequest) -> PushResponse:
    """Take in a push inside the caller's transaction: check it, plan it, apply the plan."""
    checked = check(install, request)
    return take(conn, checked, begin_merge(conn))
