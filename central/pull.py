"""Serving pulls: the shared-table changes an install has not seen, whole versions only.

Every install pulls every shared change, so a change is served as many times as there are
installs: its JSON is made once per central process and kept (:func:`_served`), keyed by the
whole clock row it comes from, so it can never be stale.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, text

from central import epoch
from central.accounts import Install
from central.merge import CHANGE_FROM_CLOCK, NEWEST_SHARED_VERSION, change_from_clock
from central.tables import SHARED_CLOCKS
from replicator.wire import PullResponse

# The page of at most :limit changes (its columns in change_from_clock's order), cut in the same
# statement before the first version that starts after :bytes of values (octet_length reads a
# value's size without detoasting it), so only the rows served travel; page_rows says whether
# the cut dropped any. Each row's causal length is its sentinel's, read by a scalar subquery:
# one index probe per row served, where a join let the planner scan every clock of the mirror on
# each pull.
_PULL = text(
    f"""
    WITH page AS (
        SELECT c.tbl, c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version,
               c.db_version, c.site_id, c.seq
          FROM crr_clock c
         WHERE c.db_version > :since AND c.{SHARED_CLOCKS} AND c.site_id <> :site
         ORDER BY c.db_version, c.tbl, c.pk, c.cid
         LIMIT :limit
    ), sized AS (
        SELECT page.*, count(*) OVER () AS page_rows,
               coalesce(sum(octet_length(vbytes)) OVER (
                   ORDER BY db_version RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
               ), 0) AS bytes_before_version
          FROM page
    )
    SELECT tbl, pk, cid, vtype, vint, vreal, vbytes, col_version, db_version, site_id,
           coalesce((SELECT s.col_version FROM crr_clock s
                      WHERE s.tbl = sized.tbl AND s.pk = sized.pk AND s.cid = '-1'), 1) AS cl,
           seq, page_rows
      FROM sized WHERE bytes_before_version < :bytes ORDER BY db_version, tbl, pk, cid
    """
)

# Read in the pull's snapshot, in one statement: the newest is the cursor when nothing is new.
_EPOCH_AND_NEWEST = select(epoch.VALUE, NEWEST_SHARED_VERSION)

# Bytes of values after which a pull ends at the next version boundary: values may hold up to
# 1 MiB each, so a pull of ``limit`` changes could otherwise carry gigabytes.
PULL_BYTES = 8 * 1024 * 1024


def _rows(conn: Connection, since: int, site: bytes, limit: int) -> tuple[list, bool]:
    """Up to ``limit`` rows of the pull, ending at the first version boundary after PULL_BYTES
    of values; and whether it ended there (more follows)."""
    params = {"since": since, "site": site, "limit": limit, "bytes": PULL_BYTES}
    rows = conn.execute(_PULL, params).all()
    return rows, bool(rows) and rows[0].page_rows > len(rows)


@dataclass(frozen=True)
class PullPage:
    """One pull's answer as read: the rows served (crr_clock's, see :data:`_PULL`), the cursor,
    whether more follows, and central's epoch."""

    rows: list[Any]
    cursor: int
    more: bool
    epoch: str

    def response(self) -> PullResponse:
        return PullResponse(
            changes=[change_from_clock(r) for r in self.rows],
            cursor=self.cursor,
            more=self.more,
            epoch=self.epoch,
        )

    def json(self) -> bytes:
        """The same answer as :meth:`response` encodes, with each change's JSON made once."""
        envelope = PullResponse(changes=[], cursor=self.cursor, more=self.more, epoch=self.epoch)
        encoded = envelope.__pydantic_serializer__.to_json(envelope)
        opening = b'{"changes":['
        if not encoded.startswith(opening + b"]"):  # changes is the model's first field
            raise AssertionError("PullResponse no longer starts with its changes")
        changes = b",".join(_served(row[:_CHANGE_COLUMNS]) for row in self.rows)
        return opening + changes + encoded[len(opening) :]


# Changes kept: the shared rows of a busy team (a few hundred are hot at any time), each a few
# hundred bytes. A value larger than CACHED_VALUE_BYTES is encoded each time it is served, so the
# cache stays under about 60 MB whatever is shared.
CACHED_CHANGES = 20_000
CACHED_VALUE_BYTES = 1024


_CHANGE_COLUMNS = len(CHANGE_FROM_CLOCK)  # a row's slice (a tuple) that makes its change
_VBYTES = CHANGE_FROM_CLOCK.index("vbytes")


def _served(row: tuple) -> bytes:
    vbytes = row[_VBYTES]
    if vbytes is not None and len(vbytes) > CACHED_VALUE_BYTES:
        return _encode(row)
    return _encoded(row)


def _encode(row: tuple) -> bytes:
    change = change_from_clock(row)
    return change.__pydantic_serializer__.to_json(change)


_encoded = functools.lru_cache(maxsize=CACHED_CHANGES)(_encode)


def pull_page(conn: Connection, install: Install, since: int, limit: int) -> PullPage:
    """Shared changes after ``since`` that this install did not write, whole versions only:
    at most ``limit`` changes and about PULL_BYTES of values, unless one version is larger."""
    rows, cut = _rows(conn, since, install.site_id, limit + 1)
    central_epoch, newest = conn.execute(_EPOCH_AND_NEWEST).one()
    central_epoch = central_epoch or ""
    if cut:  # every pull names the epoch: a restore is seen in the middle of a backlog too
        return PullPage(rows, rows[-1].db_version, True, central_epoch)
    more = len(rows) > limit
    if more:
        last = rows[limit].db_version
        whole = [r for r in rows if r.db_version < last]
        if whole:
            rows = whole
        else:  # one version larger than the limit travels whole
            rows, _ = _rows(conn, last - 1, install.site_id, 10**9)
            rows = [r for r in rows if r.db_version == last]
    # With nothing new for this install, the cursor still moves to the newest shared version
    # committed in this snapshot (the caller reads in one REPEATABLE READ snapshot, and versions
    # commit in order), so the next pull does not scan this install's own changes again.
    cursor = rows[-1].db_version if rows else max(since, newest)
    return PullPage(rows, cursor, more, central_epoch)


def changes_since(conn: Connection, install: Install, since: int, limit: int) -> PullResponse:
    """:func:`pull_page` as the install reads it."""
    return pull_page(conn, install, since, limit).response()
