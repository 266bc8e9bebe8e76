"""Serving pulls: the shared-table changes an install has not seen, whole versions only."""

from __future__ import annotations

from sqlalchemy import Connection, text

from central import epoch
from central.accounts import Install
from central.merge import change_from_clock, newest_shared_version
from central.tables import SHARED_CLOCKS
from replicator.wire import PullResponse

_PULL = text(
    f"""
    SELECT c.tbl, c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version, c.db_version,
           c.site_id, c.seq, coalesce(s.col_version, 1) AS cl
      FROM crr_clock c
      LEFT JOIN crr_clock s ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'
     WHERE c.db_version > :since AND c.{SHARED_CLOCKS} AND c.site_id <> :site
     ORDER BY c.db_version, c.tbl, c.pk, c.cid
     LIMIT :limit
    """
)


# Bytes of values after which a pull ends at the next version boundary: values may hold up to
# 1 MiB each, so a pull of ``limit`` changes could otherwise carry gigabytes.
PULL_BYTES = 8 * 1024 * 1024


def _first_rows(conn: Connection, params: dict) -> tuple[list, bool]:
    """Rows of the pull query, streamed, ending at the first version boundary after PULL_BYTES
    of values; and whether it ended there (more follows)."""
    rows: list = []
    size = 0
    result = conn.execute(_PULL, params, execution_options={"yield_per": 500})
    try:
        for row in result:
            if size >= PULL_BYTES and row.db_version != rows[-1].db_version:
                return rows, True
            rows.append(row)
            size += len(row.vbytes or b"")
    finally:
        result.close()  # stops the server's cursor when the pull ends early
    return rows, False


def changes_since(conn: Connection, install: Install, since: int, limit: int) -> PullResponse:
    """Shared changes after ``since`` that this install did not write, whole versions only:
    at most ``limit`` changes and about PULL_BYTES of values, unless one version is larger."""
    rows, cut = _first_rows(conn, {"since": since, "site": install.site_id, "limit": limit + 1})
    if cut:
        return PullResponse(
            changes=[change_from_clock(r) for r in rows], cursor=rows[-1].db_version, more=True
        )
    more = len(rows) > limit
    if more:
        last = rows[limit].db_version
        whole = [r for r in rows if r.db_version < last]
        if whole:
            rows = whole
        else:  # one version larger than the limit travels whole
            rows = conn.execute(
                _PULL,
                {
                    "since": last - 1,
                    "site": install.site_id,
                    "limit": 10**9,
                },
            ).all()
            rows = [r for r in rows if r.db_version == last]
    changes = [change_from_clock(r) for r in rows]
    # With nothing new for this install, the cursor still moves to the newest shared version
    # committed in this snapshot (the caller reads in one REPEATABLE READ snapshot, and versions
    # commit in order), so the next pull does not scan this install's own changes again.
    cursor = rows[-1].db_version if rows else max(since, newest_shared_version(conn))
    return PullResponse(changes=changes, cursor=cursor, more=more, epoch=epoch.current(conn))
