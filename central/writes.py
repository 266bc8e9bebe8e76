"""Central's own writes to shared tables (admins creating users, announcements, releases).

Central is a cr-sqlite site of its own: it turns each write into the changes cr-sqlite would
produce (next col_version per cell, a new odd causal length to re-create a deleted row) and sends
them through the same :class:`~central.merge.Merger` as every install's changes.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from central.errors import BadChangeset
from central.merge import SENTINEL, Merger, begin_merge, causal_length
from central.tables import REPLICATED, central_meta, crr_clock
from replicator.wire import Change, SqlValue, pk


def central_site_id(conn: Connection) -> bytes:
    value = conn.execute(
        select(central_meta.c.value).where(central_meta.c.key == "site_id")
    ).scalar_one()
    return bytes.fromhex(value)


def _clocks(conn: Connection, table: str, packed: bytes) -> dict[str, int]:
    rows = conn.execute(
        select(crr_clock.c.cid, crr_clock.c.col_version).where(
            crr_clock.c.tbl == table, crr_clock.c.pk == packed
        )
    ).all()
    return {r.cid: r.col_version for r in rows}


def write_row(conn: Connection, table: str, key: str, values: dict[str, SqlValue]) -> int:
    """Insert or update one row of a shared table; returns central's db_version for it."""
    spec = REPLICATED[table]
    unknown = set(values) - set(spec.value_columns)
    if unknown:
        raise BadChangeset(f"{table} has no column(s) {', '.join(sorted(unknown))}")
    site, version = central_site_id(conn), begin_merge(conn)
    packed = pk.pack([key])
    clocks = _clocks(conn, table, packed)
    local_cl = causal_length(clocks.get(SENTINEL), bool(clocks))
    alive = local_cl % 2 == 1
    cl = local_cl if alive else local_cl + 1

    def change(cid: str, val: SqlValue, col_version: int, seq: int) -> Change:
        return Change(
            table=table,
            pk=packed,
            cid=cid,
            val=val,
            col_version=col_version,
            db_version=version,
            site_id=site,
            cl=cl,
            seq=seq,
        )

    # Like cr-sqlite: a first insert is just its cells; re-creating a deleted row (or a row with
    # no cells) records the new causal length on the sentinel.
    recreate = not alive and (local_cl > 0 or not values)
    changes = [change(SENTINEL, None, cl, 0)] if recreate else []
    for column, value in values.items():
        previous = clocks.get(column, 0) if alive else 0
        changes.append(change(column, value, previous + 1, len(changes)))
    merger = Merger(conn, version)
    for c in changes:
        merger.apply(c, key)
    return version


def delete_row(conn: Connection, table: str, key: str) -> bool:
    """Delete one row of a shared table; False when it did not exist."""
    site, packed = central_site_id(conn), pk.pack([key])
    clocks = _clocks(conn, table, packed)
    local_cl = causal_length(clocks.get(SENTINEL), bool(clocks))
    if local_cl % 2 == 0:
        return False
    version = begin_merge(conn)
    Merger(conn, version).apply(
        Change(
            table=table,
            pk=packed,
            cid=SENTINEL,
            val=None,
            col_version=local_cl + 1,
            db_version=version,
            site_id=site,
            cl=local_cl + 1,
            seq=0,
        ),
        key,
    )
    return True
