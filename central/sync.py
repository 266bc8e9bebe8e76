"""What an install may send (schema version, tables, columns, keys, site ids, rights) and what
it gets back on a pull. Taking in a push is :mod:`central.ingest`'s; it checks every change here
before anything is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy import Connection, select, text

from central.accounts import Install
from central.errors import BadChangeset, Forbidden, UpdateRequired
from central.merge import SENTINEL, change_from_clock, newest_shared_version
from central.tables import REPLICATED, SHARED_CLOCKS, enrollments
from replicator.wire import Change, PullResponse, SqlValue, pk

log = logging.getLogger(__name__)

# The replicated schema central's tables describe (engine/migrations.py numbers them). Installs
# one version behind are served; one version ahead, their cells of unknown columns are parked.
SCHEMA_VERSION = 2
SCHEMA_VERSIONS = range(SCHEMA_VERSION - 1, SCHEMA_VERSION + 2)
# What installs may write: their own upstream rows, the team glossary, and their own user's
# profile (never its role or whether it is active; admins decide those). None means any column.
WRITABLE_BY_INSTALLS: dict[str, frozenset[str] | None] = {
    **{name: None for name, r in REPLICATED.items() if r.direction == "up"},
    "glossary_terms": None,
    "users": frozenset({"display_name", "team", "language"}),
}


def check_schema(version: int) -> None:
    if version < SCHEMA_VERSIONS.start:
        raise UpdateRequired(
            f"this install speaks schema version {version}; central needs at least "
            f"{SCHEMA_VERSIONS.start}. Update LocaNext."
        )
    if version >= SCHEMA_VERSIONS.stop:
        raise UpdateRequired(
            f"this install speaks schema version {version}, newer than central "
            f"({SCHEMA_VERSIONS.stop - 1}). Ask an administrator to update central."
        )


def _key(table: str, packed: bytes) -> str:
    try:
        key = pk.unpack(packed)
    except pk.PkError as exc:
        raise BadChangeset(f"malformed primary key: {exc}") from None
    if len(key) != 1 or not isinstance(key[0], str):
        raise BadChangeset(f"the primary key of {table!r} is one TEXT value")
    return key[0]


def _check(change: Change, key: str, install: Install) -> None:
    """One change's rights; raises with the reason."""
    if change.site_id != install.site_id:
        raise Forbidden(
            f"site_id {change.site_id.hex()} is not this install's ({install.install_id}); "
            "installs send only their own changes"
        )
    if change.table not in REPLICATED:
        raise BadChangeset(f"unknown table {change.table!r}")
    if change.table not in WRITABLE_BY_INSTALLS:
        raise Forbidden(f"installs may not write {change.table!r}")
    columns = WRITABLE_BY_INSTALLS[change.table]
    if columns is not None and change.cid not in columns:
        raise Forbidden(f"installs may not write {change.table}.{change.cid}")
    if change.table == "installs" and key != install.install_id:
        raise Forbidden("an install may only describe itself")
    if change.table == "users" and key != install.username:
        raise Forbidden("an install may only edit its own user's profile")
    if change.cid == "install_id" and change.val != install.install_id:
        raise Forbidden("install_id must be this install's own id")


def validate(
    changes: Sequence[Change], install: Install
) -> tuple[list[tuple[Change, SqlValue]], list[Change]]:
    """Check every change of a push. Returns the changes to merge, each with its decoded primary
    key, and the changes for columns central does not know (to park)."""
    checked: list[tuple[Change, SqlValue]] = []
    unknown: list[Change] = []
    keys: dict[tuple[str, bytes], str] = {}  # a row's cells share its key: decode it once
    for index, change in enumerate(changes):
        try:
            key = keys.get((change.table, change.pk))
            if key is None:
                key = keys[(change.table, change.pk)] = _key(change.table, change.pk)
            _check(change, key, install)
        except (BadChangeset, Forbidden) as exc:
            where = f"change #{index} ({change.table}, cid {change.cid!r})"
            raise type(exc)(f"{where}: {exc.detail}") from None
        spec = REPLICATED[change.table]
        if change.cid != SENTINEL and change.cid not in spec.value_columns:
            unknown.append(change)
        else:
            checked.append((change, key))
    return checked, unknown


def check_owner(conn: Connection, checked: list[tuple[Change, SqlValue]], install: Install) -> None:
    """Upstream rows are written only by the install that created them: any clock of another
    site on a row of this push means the row is someone else's."""
    rows = {(c.table, c.pk) for c, _ in checked if REPLICATED[c.table].direction == "up"}
    if not rows:
        return
    tables, keys = zip(*rows, strict=True)
    taken = conn.execute(
        text(
            "SELECT c.tbl, c.pk FROM unnest(CAST(:tbls AS text[]), CAST(:pks AS bytea[]))"
            " AS b(tbl, pk) JOIN crr_clock c ON c.tbl = b.tbl AND c.pk = b.pk"
            " WHERE c.site_id <> :site LIMIT 1"
        ),
        {"tbls": list(tables), "pks": list(keys), "site": install.site_id},
    ).first()
    if taken is not None:
        key = pk.unpack(bytes(taken.pk))[0]
        raise Forbidden(f"{taken.tbl} row {key!r} belongs to another install")


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


def pull(conn: Connection, install: Install, since: int, limit: int) -> PullResponse:
    """Shared changes after ``since`` that this install did not write, whole versions only."""
    rows = conn.execute(
        _PULL,
        {"since": since, "site": install.site_id, "limit": limit + 1},
    ).all()
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
    return PullResponse(changes=changes, cursor=cursor, more=more)


def site_acked(conn: Connection, install: Install) -> int:
    return int(
        conn.execute(
            select(enrollments.c.acked_db_version).where(
                enrollments.c.install_id == install.install_id
            )
        ).scalar_one()
    )
