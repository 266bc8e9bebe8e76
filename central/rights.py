"""What an install may write: every change of a push is checked here before anything is merged.

Installs write their own upstream rows (attributed to their enrolled user), the team glossary,
and their own user's profile (never its role or whether it is active, and never creating or
deleting a user; admins decide those). On shared tables a change may raise a cell's col_version
or a row's causal length by at most :data:`MAX_CLOCK_STEP` over what central holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, text

from central.accounts import Install
from central.errors import (
    BadChangeset,
    CentralError,
    ClockOutOfRange,
    Forbidden,
    RestrictedRow,
    ValueTooLarge,
    WrongUser,
)
from central.merge import SENTINEL
from central.tables import REPLICATED
from replicator.wire import MAX_VALUE_BYTES, Change, SqlValue, pk

# None means any column.
WRITABLE_BY_INSTALLS: dict[str, frozenset[str] | None] = {
    **{name: None for name, r in REPLICATED.items() if r.direction == "up"},
    "glossary_terms": None,
    "users": frozenset({"display_name", "team", "language"}),
}
# Tables whose rows installs never create or delete (a sentinel change or an even causal length).
ROWS_BY_CENTRAL_ONLY = frozenset({"users"})
# Columns of upstream tables that name who did something: always the install's enrolled user.
ATTRIBUTION_COLUMNS = frozenset({"username"})
# A cr-sqlite install raises a cell's col_version by one per write of that cell and a row's
# causal length by one per delete or re-insert, so its changes never go this far past what
# central holds (four billion writes of one cell between two syncs). Reaching 2^63 from zero
# would take 2^31 accepted pushes, so central's and the installs' own "+ 1" keep room to grow.
MAX_CLOCK_STEP = 2**32

# A push's changes to merge, each with its decoded primary key.
Ready = list[tuple[Change, SqlValue]]


def _key(table: str, packed: bytes) -> str:
    try:
        key = pk.unpack(packed)
    except pk.PkError as exc:
        raise BadChangeset(f"malformed primary key: {exc}") from None
    if len(key) != 1 or not isinstance(key[0], str):
        raise BadChangeset(f"the primary key of {table!r} is one TEXT value")
    if "\x00" in key[0]:
        raise BadChangeset("a primary key PostgreSQL cannot hold (it has a NUL character)")
    return key[0]


def _oversized(value: SqlValue) -> int:
    """The size in bytes of a text or blob value over MAX_VALUE_BYTES, else 0."""
    if isinstance(value, str) and len(value) * 4 > MAX_VALUE_BYTES:  # else surely under
        value = value.encode("utf-8")
    if isinstance(value, bytes) and len(value) > MAX_VALUE_BYTES:
        return len(value)
    return 0


def _check(change: Change, key: str, install: Install) -> None:
    """One change's rights; raises with the reason."""
    size = _oversized(change.val)
    if size:
        raise ValueTooLarge(
            f"a value of {size:,} bytes; installs write values of at most {MAX_VALUE_BYTES:,}"
        )
    if change.site_id != install.site_id:
        raise Forbidden(
            f"site_id {change.site_id.hex()} is not this install's ({install.install_id}); "
            "installs send only their own changes"
        )
    if change.table not in REPLICATED:
        raise BadChangeset(f"unknown table {change.table!r}")
    if "\x00" in change.cid:
        raise BadChangeset("a column name PostgreSQL cannot hold (it has a NUL character)")
    if change.table not in WRITABLE_BY_INSTALLS:
        raise Forbidden(f"installs may not write {change.table!r}")
    if change.table in ROWS_BY_CENTRAL_ONLY and (change.cid == SENTINEL or change.cl % 2 == 0):
        verb = "delete" if change.cl % 2 == 0 else "create"
        raise RestrictedRow(f"installs may not {verb} {change.table} rows")
    columns = WRITABLE_BY_INSTALLS[change.table]
    if columns is not None and change.cid not in columns:
        raise Forbidden(f"installs may not write {change.table}.{change.cid}")
    if change.table == "installs" and key != install.install_id:
        raise Forbidden("an install may only describe itself")
    if change.table == "users" and key != install.username:
        raise Forbidden("an install may only edit its own user's profile")
    if change.cid == "install_id" and change.val != install.install_id:
        raise Forbidden("install_id must be this install's own id")
    attribution = change.cid in ATTRIBUTION_COLUMNS and REPLICATED[change.table].direction == "up"
    if attribution and change.val != install.username:
        raise WrongUser(
            f"{change.table}.{change.cid} {change.val!r} is not this install's user "
            f"{install.username!r}"
        )


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
        except (BadChangeset, Forbidden, ValueTooLarge) as exc:
            where = f"change #{index} ({change.table}, cid {change.cid!r})"
            raise type(exc)(f"{where}: {exc.detail}") from None
        spec = REPLICATED[change.table]
        if change.cid != SENTINEL and change.cid not in spec.value_columns:
            unknown.append(change)
        else:
            checked.append((change, key))
    return checked, unknown


def check_stored(conn: Connection, ready: list[tuple[Change, SqlValue]], install: Install) -> None:
    """The checks that need central's clocks, made under the merge lock on what is about to be
    merged: upstream rows belong to the install that created them; shared rows' clocks move by
    at most :data:`MAX_CLOCK_STEP`; restricted tables' rows are not re-created."""
    offence = stored_offences(conn, {0: (ready, install)}).get(0)
    if offence is not None:
        raise offence


def stored_offences(
    conn: Connection, pushes: Mapping[int, tuple[Ready, Install]]
) -> dict[int, CentralError]:
    """:func:`check_stored` for several pushes at once, in two statements whatever their number
    (the pushes of a group commit, each under a number of the caller's): the refusal of each
    push that has one, by its number."""
    offences = _clock_offences(conn, pushes)
    offences.update(_owner_offences(conn, pushes))  # the owner's refusal first, as one by one
    return offences


def _owner_offences(
    conn: Connection, pushes: Mapping[int, tuple[Ready, Install]]
) -> dict[int, CentralError]:
    """Any clock of another site on an upstream row of a push means the row is someone
    else's."""
    rows = [
        (n, table, key, install.site_id)
        for n, (ready, install) in pushes.items()
        for table, key in {
            (c.table, c.pk) for c, _ in ready if REPLICATED[c.table].direction == "up"
        }
    ]
    if not rows:
        return {}
    numbers, tables, keys, sites = zip(*rows, strict=True)
    taken = conn.execute(
        text(
            # LATERAL: index probes per row pushed, never a scan of the mirror's clocks
            "SELECT DISTINCT ON (b.push) b.push, c.tbl, c.pk"
            " FROM unnest(CAST(:pushes AS int[]), CAST(:tbls AS text[]), CAST(:pks AS bytea[]),"
            " CAST(:sites AS bytea[])) AS b(push, tbl, pk, site)"
            " CROSS JOIN LATERAL (SELECT c.tbl, c.pk FROM crr_clock c"
            " WHERE c.tbl = b.tbl AND c.pk = b.pk AND c.site_id <> b.site LIMIT 1) c"
            " ORDER BY b.push"
        ),
        {"pushes": list(numbers), "tbls": list(tables), "pks": list(keys), "sites": list(sites)},
    ).all()
    return {
        row.push: Forbidden(
            f"{row.tbl} row {pk.unpack(bytes(row.pk))[0]!r} belongs to another install"
        )
        for row in taken
    }


# Per incoming change: the cell's stored col_version and the row's stored causal length (the
# sentinel's, else 1 when any clock exists, else 0); per push, the first change that goes too
# far.
_CLOCKS = text(
    """
    SELECT DISTINCT ON (b.push) b.push, b.i, b.tbl, b.cid, b.col_version, b.cl,
           st.col_version AS stored_cv, st.cl AS stored_cl
      FROM unnest(CAST(:pushes AS int[]), CAST(:idx AS int[]), CAST(:tbls AS text[]),
                  CAST(:pks AS bytea[]), CAST(:cids AS text[]), CAST(:cvs AS bigint[]),
                  CAST(:cls AS bigint[]))
           AS b(push, i, tbl, pk, cid, col_version, cl)
     CROSS JOIN LATERAL (
        SELECT coalesce((SELECT c.col_version FROM crr_clock c
                          WHERE c.tbl = b.tbl AND c.pk = b.pk AND c.cid = b.cid), 0) AS col_version,
               coalesce((SELECT s.col_version FROM crr_clock s
                          WHERE s.tbl = b.tbl AND s.pk = b.pk AND s.cid = '-1'),
                        (SELECT 1 FROM crr_clock a WHERE a.tbl = b.tbl AND a.pk = b.pk LIMIT 1),
                        0) AS cl
     ) st
     WHERE b.col_version - st.col_version > :step OR b.cl - st.cl > :step
        OR (b.tbl = ANY (CAST(:restricted AS text[])) AND b.cl > st.cl)
     ORDER BY b.push, b.i
    """
)


def _clock_offences(
    conn: Connection, pushes: Mapping[int, tuple[Ready, Install]]
) -> dict[int, CentralError]:
    shared = [
        (n, i, c)
        for n, (ready, _) in pushes.items()
        for i, (c, _) in enumerate(ready)
        if REPLICATED[c.table].direction == "shared"
    ]
    if not shared:
        return {}
    rows = conn.execute(
        _CLOCKS,
        {
            "pushes": [n for n, _, _ in shared],
            "idx": [i for _, i, _ in shared],
            "tbls": [c.table for _, _, c in shared],
            "pks": [c.pk for _, _, c in shared],
            "cids": [c.cid for _, _, c in shared],
            "cvs": [c.col_version for _, _, c in shared],
            "cls": [c.cl for _, _, c in shared],
            "step": MAX_CLOCK_STEP,
            "restricted": sorted(ROWS_BY_CENTRAL_ONLY),
        },
    ).all()
    return {bad.push: _clock_offence(bad, pushes[bad.push][0][bad.i][1]) for bad in rows}


def _clock_offence(bad: Any, key: SqlValue) -> CentralError:
    where = f"{bad.tbl} row {key!r}, cid {bad.cid!r}"
    if bad.tbl in ROWS_BY_CENTRAL_ONLY and bad.cl > bad.stored_cl:
        return RestrictedRow(f"{where}: installs may not create {bad.tbl} rows")
    name, value, stored = (
        ("col_version", bad.col_version, bad.stored_cv)
        if bad.col_version - bad.stored_cv > MAX_CLOCK_STEP
        else ("causal length", bad.cl, bad.stored_cl)
    )
    return ClockOutOfRange(
        f"{where}: {name} {value} is more than {MAX_CLOCK_STEP} past central's {stored}; "
        "no cr-sqlite install writes that"
    )
