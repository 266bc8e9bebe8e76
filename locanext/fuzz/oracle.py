"""What "converged" means, checked against a real cr-sqlite hub fed every install's changes.

Clocks are compared on what every receiver must agree on: key, column, value and its type,
col_version and causal length. Not on site_id: when two sites wrote the same value with the same
col_version, cr-sqlite keeps whichever arrived first, so that differs between receivers by design.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine, text

from central.sqlvalues import from_clock, to_mirror
from central.tables import REPLICATED
from engine.db import Database
from engine.schema import SHARED_TABLES

_CHANGE = (
    'SELECT "table", pk, cid, val, col_version, db_version, site_id, cl, seq FROM crsql_changes'
)
_TYPEOF = {type(None): "null", int: "integer", float: "real", str: "text", bytes: "blob"}


def own_changes(db: Database) -> list[tuple]:
    with db.read() as conn:
        return conn.execute(_CHANGE + " WHERE site_id = crsql_site_id()").fetchall()


def install_state(db: Database, table: str) -> tuple[list, list]:
    """Rows (exact SQLite values) and clocks of one table of an engine.db."""
    columns = ", ".join(c.name for c in REPLICATED[table].table.columns)
    key = REPLICATED[table].pk_column.name
    with db.read() as conn:
        rows = conn.execute(f"SELECT {columns} FROM {table} ORDER BY {key}").fetchall()
        clocks = conn.execute(
            "SELECT pk, cid, val, typeof(val), col_version, cl FROM crsql_changes"
            ' WHERE "table" = ? AND col_version > 0 ORDER BY pk, cid',
            (table,),
        ).fetchall()
    return [tuple(r) for r in rows], [tuple(r) for r in clocks]


def mirror_state(engine: Engine, table: str) -> tuple[list, list]:
    """Rows (typed mirror values) and clocks (exact SQLite values) of one mirror table."""
    spec = REPLICATED[table]
    columns = ", ".join(f'"{c.name}"' for c in spec.table.columns)
    with engine.connect() as conn:
        rows = conn.execute(
            text(f'SELECT {columns} FROM "{table}" ORDER BY "{spec.pk_column.name}" COLLATE "C"')
        ).all()
        clocks = conn.execute(
            text(
                "SELECT c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version, c.site_id,"
                " coalesce(s.col_version, 1) AS cl FROM crr_clock c LEFT JOIN crr_clock s"
                " ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'"
                " WHERE c.tbl = :t AND c.col_version > 0 ORDER BY c.pk, c.cid"
            ),
            {"t": table},
        ).all()
    exact = []
    for r in clocks:
        value = from_clock(r.vtype, r.vint, r.vreal, r.vbytes)
        exact.append((bytes(r.pk), r.cid, value, _TYPEOF[type(value)], r.col_version, r.cl))
    return [tuple(r) for r in rows], exact


def _typed(table: str, rows: list[tuple]) -> list[tuple]:
    """The mirror's typed form of rows read from SQLite."""
    types = [c.type for c in REPLICATED[table].table.columns]
    return [
        (row[0], *(to_mirror(v, t) for v, t in zip(row[1:], types[1:], strict=True)))
        for row in rows
    ]


def check_convergence(
    engine: Engine,
    installs: list[Database],
    hub_dir: Path,
    *,
    operation_ids: Iterable[str],
    deleted: Iterable[str],
    bulks: dict[str, int],
) -> None:
    hub = Database(hub_dir / "engine.db")
    try:
        with hub.write() as conn:
            for db in installs:
                conn.executemany(
                    'INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version,'
                    " site_id, cl, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    own_changes(db),
                )
        with engine.connect() as conn:
            ops = conn.execute(text("SELECT id FROM operations")).scalars().all()
            terms = set(conn.execute(text("SELECT id FROM glossary_terms")).scalars().all())
            bulk_counts = dict(
                conn.execute(
                    text("SELECT message, count(*) FROM events WHERE level = 'bulk' GROUP BY 1")
                ).all()
            )
        assert len(ops) == len(set(ops)) and set(ops) == set(operation_ids), (
            "operations in the mirror are not exactly the ones recorded"
        )
        assert not terms & set(deleted), f"deleted terms came back: {terms & set(deleted)}"
        for db in installs:
            with db.read() as conn:
                local = {r[0] for r in conn.execute("SELECT id FROM glossary_terms")}
            assert not local & set(deleted), "a deleted term came back on an install"
        assert bulk_counts == bulks, "a bulk transaction is missing or partial after a full sync"
        for table in REPLICATED:
            if table == "installs":
                continue  # the machine enrolls without writing install rows
            hub_rows, hub_clocks = install_state(hub, table)
            mirror_rows, mirror_clocks = mirror_state(engine, table)
            assert mirror_clocks == hub_clocks, f"mirror clocks of {table} differ from the hub"
            assert mirror_rows == _typed(table, hub_rows), f"mirror rows of {table} differ"
            if table in SHARED_TABLES:
                for db in installs:
                    assert install_state(db, table) == (hub_rows, hub_clocks), (
                        f"an install's {table} did not converge"
                    )
    finally:
        hub.close()
