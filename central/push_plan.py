"""What to do with a push, decided without touching the database.

:func:`plan_push` turns a checked push, the site's watermark and what central already holds of
its unfinished versions (parked change counts, declared sizes) into a :class:`PushPlan`: which
parts to merge, which versions to complete from their parked parts, what to park, and the new
watermark. :mod:`central.ingest` reads the inputs and applies the plan in one transaction.

A version is *complete* when central holds all of it: the push carries its last seq and, with
the parts parked earlier, as many changes as the install counted; or an earlier push carried the
last seq (its declared size) and this part brings the total to it. Parts come in seq order from
one snapshot, so holding the last part and at least the counted number means holding it all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from central.errors import AheadOfCentral, BadChangeset
from replicator.wire import Change, PushRequest, SqlValue, VersionSpan

Checked = tuple[Change, SqlValue]  # a change with its decoded primary key


@dataclass(frozen=True)
class PushPlan:
    merge: list[Checked]  # this push's changes of versions now complete, in push order
    unpark: list[int]  # complete versions whose earlier parts are parked: merge those too
    park_incomplete: list[Change]  # changes of the last version, not complete yet
    park_unknown: list[Change]  # cells of columns central does not know
    declare: list[VersionSpan]  # versions whose last part came but which are not complete
    watermark: int  # the newest version of the site that central now holds whole
    # Versions with parts parked that the watermark passes without their completing: the install
    # no longer has them (a later transaction rewrote those cells, so cr-sqlite lists them under
    # its own version), and their parked parts are stale.
    discard: list[int] = field(default_factory=list)

    @property
    def parked(self) -> int:
        return len(self.park_incomplete) + len(self.park_unknown)


def check_spans(request: PushRequest) -> dict[int, VersionSpan]:
    """The push's version spans by db_version, once its changes are known to be in (db_version,
    seq) order with a span each, never past their version's last seq."""
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


def _complete(count: int | None, held: int) -> bool:
    """Does central hold a whole version: ``held`` changes of the ``count`` the install counted
    (None while the part carrying the last seq has not come)?"""
    return count is not None and held >= count


def plan_push(
    spans: Mapping[int, VersionSpan],
    checked: Sequence[Checked],
    unknown: Sequence[Change],
    *,
    since: int,
    acked: int,
    parked: Mapping[int, int],
    declared: Mapping[int, int],
) -> PushPlan:
    """Plan a push that follows ``since`` for a site whose watermark is ``acked``.

    ``checked`` and ``unknown`` are the push's changes (in push order) that central merges and
    those for columns it does not know; ``parked`` counts the changes already parked per version
    and ``declared`` holds the sizes of versions whose last part came earlier.
    """
    if since > acked:
        raise AheadOfCentral(
            f"this push follows version {since}, but central holds this install's "
            f"versions only up to {acked}; resume from there"
        )
    known: dict[int, list[Checked]] = defaultdict(list)
    for pair in checked:
        if pair[0].db_version > acked:  # at or below the watermark: merged already
            known[pair[0].db_version].append(pair)
    unknown = [c for c in unknown if c.db_version > acked]
    others: dict[int, list[Change]] = defaultdict(list)
    for change in unknown:
        others[change.db_version].append(change)
    versions = sorted(known.keys() | others.keys())

    merge: list[Checked] = []
    unpark: list[int] = []
    incomplete: list[Change] = []
    declare: list[VersionSpan] = []
    watermark = acked
    for index, db_version in enumerate(versions):
        part, span = known.get(db_version, []), spans[db_version]
        seqs = [c.seq for c, _ in part] + [c.seq for c in others.get(db_version, [])]
        carries_end = max(seqs) == span.last_seq
        count = span.count if carries_end else declared.get(db_version)
        earlier = parked.get(db_version, 0)
        if _complete(count, earlier + len(seqs)):
            if earlier:
                unpark.append(db_version)
            merge += part
            watermark = db_version
            continue
        # Only the last version of a push may be incomplete: the install sends in order.
        if index + 1 < len(versions):
            raise BadChangeset(
                f"version {db_version} is incomplete, yet the push goes on with version "
                f"{versions[index + 1]}"
            )
        if carries_end:
            declare.append(span)
        incomplete = [c for c, _ in part]
    # A push holds every version the install has past ``since``, in order: a parked version
    # that it passes over is gone from the install.
    waiting = parked.keys() | declared.keys()
    discard = sorted(v for v in waiting if v <= watermark and v not in unpark)
    return PushPlan(merge, unpark, incomplete, unknown, declare, watermark, discard)
