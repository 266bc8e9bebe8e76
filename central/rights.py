"""What an install may write: every change of a push is checked here before anything is merged.

Installs write their own upstream rows, the team glossary, and their own user's profile (never
its role or whether it is active; admins decide those).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

from central.accounts import Install
from central.errors import BadChangeset, Forbidden
from central.merge import SENTINEL
from central.tables import REPLICATED
from replicator.wire import Change, SqlValue, pk

# None means any column.
WRITABLE_BY_INSTALLS: dict[str, frozenset[str] | None] = {
    **{name: None for name, r in REPLICATED.items() if r.direction == "up"},
    "glossary_terms": None,
    "users": frozenset({"display_name", "team", "language"}),
}


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
