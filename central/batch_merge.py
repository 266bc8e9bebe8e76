"""Merging a whole batch of changes into the mirror in a few set-based statements.

The batch is COPYed into a staging table; one statement classifies every touched row against its
clocks, and a handful more apply the rule of :mod:`central.merge` to all rows at once:

* ``delete``: the batch's highest causal length is even and above the row's: drop the row and
  its cell clocks, keep the sentinel.
* ``create``: the highest causal length is odd and above the row's: record the sentinel, zero
  the cell clocks (values stay, as in cr-sqlite), make sure the mirror row exists; then cells.
* ``merge``: same causal length: each cell's best incoming change (col_version, then value by
  cr-sqlite's order, then delivery order) replaces the stored one only if it is strictly larger:
  one conditional upsert into crr_clock, then one UPDATE per mirror table of what won.
* ``ignore``/``noop``: everything in the batch is older than what is stored.

A row whose changes in this batch span two or more causal lengths above its own (a delete and a
re-insert delivered together) depends on delivery order in cr-sqlite: those rare rows are merged
change by change, in order, by :class:`central.merge.Merger`.

A batch of :data:`BULK_MIN` changes or more first puts its new rows straight into the tables
with COPY (:mod:`central.new_rows`); the statements here take the rest.

The caller holds the merge lock (:func:`central.merge.begin_merge`), so no other transaction
changes crr_clock between the classification and the writes.
"""

from __future__ import annotations

import functools
import logging
import weakref
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, text
from sqlalchemy.dialects import postgresql

from central import sqlvalues
from central.merge import SENTINEL, Merger
from central.new_rows import LITERALS, put_new_rows
from central.tables import REPLICATED
from replicator.wire import Change, SqlValue

log = logging.getLogger(__name__)

# The merge's work tables: temporary, made once per connection, emptied by every commit.
# (Creating and dropping them for every 5,000-change batch cost about 8% of its merge.)
# top and low are set on a row's head only (see row_heads).
_IN_COLUMNS = """
    idx integer, tbl text, pk bytea, pkv text, cid text, vtype smallint, vrank smallint,
    vint bigint, vreal double precision, vbytes bytea, col_version bigint, site_id bytea,
    cl bigint, seq integer, mval text, top bigint, low bigint"""
_WORK_TABLES = f"""
CREATE TEMP TABLE merge_in ({_IN_COLUMNS}
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE merge_rows (
    tbl text, pk bytea, pkv text, top bigint, first_idx integer, first_cid text,
    first_site bytea, first_seq integer, local_cl bigint, kind text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE merge_win ({_IN_COLUMNS}, kind text
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE merge_applied (tbl text, pkv text, cid text, mval text, site_id bytea
) ON COMMIT DELETE ROWS;
"""
_WORK_TABLE_NAMES = "merge_in, merge_rows, merge_win, merge_applied"
_COPY = (
    "COPY merge_in (idx, tbl, pk, pkv, cid, vtype, vrank, vint, vreal, vbytes, col_version,"
    " site_id, cl, seq, mval, top, low) FROM STDIN (FORMAT BINARY)"
)
_COPY_TYPES = [
    "int4", "text", "bytea", "text", "text", "int2", "int2", "int8", "float8", "bytea", "int8",
    "bytea", "int8", "int4", "text", "int8", "int8",
]  # fmt: skip
# cr-sqlite's order of types (NULL < BLOB < TEXT < REAL < INTEGER) for a vtype column.
_RANK = "CASE {0}.vtype WHEN 0 THEN 0 WHEN 4 THEN 1 WHEN 3 THEN 2 WHEN 2 THEN 3 ELSE 4 END"
# A sort key that is never NULL, so row comparisons decide on it.
_KEY = (
    "({0}.col_version, {rank}, coalesce({0}.vint, 0), coalesce({0}.vreal, 0),"
    " coalesce({0}.vbytes, ''::bytea))"
)
# Text shows as the mirror holds it: PostgreSQL's text has no NUL, so NUL bytes are left out (cut
# on byte boundaries of the hex form, where each byte is "xx " and "00 " is dropped).
_TEXT_BYTES = (
    "CASE WHEN position('\\x00'::bytea IN {0}.vbytes) = 0 THEN {0}.vbytes"
    " ELSE decode(replace(replace(regexp_replace(encode({0}.vbytes, 'hex'), '(..)', '\\1 ', 'g'),"
    " '00 ', ''), ' ', ''), 'hex') END"
)
_DISPLAY = (
    "CASE {0}.vtype WHEN 1 THEN {0}.vint::text WHEN 2 THEN {0}.vreal::text"
    f" WHEN 3 THEN convert_from({_TEXT_BYTES}, 'UTF8')"
    " WHEN 4 THEN 'X''' || encode({0}.vbytes, 'hex') || '''' END"
)


# A statement for one kind of row runs only when the batch holds such a row: an uncorrelated EXISTS
# is planned as a one-time filter, so a statement with nothing to do never scans the batch (most
# pushes hold only new rows; a 5,000-change batch of them paid about 6 ms for these no-ops).
def _when(condition: str) -> str:
    return f"EXISTS (SELECT FROM merge_rows WHERE {condition})"


_CLASSIFY = """
INSERT INTO merge_rows
WITH touched AS (
    -- Per row, its head: its first change (delivery order) at the highest causal length, which
    -- carries that length and the lowest one the batch brings (found while staging: sorting the
    -- batch here cost about 5 ms per 5,000 changes).
    SELECT tbl, pk, pkv, top, idx AS first_idx, cid AS first_cid, site_id AS first_site,
           seq AS first_seq, low
      FROM merge_in WHERE top IS NOT NULL
), state AS MATERIALIZED (
    -- Scalar subqueries with LIMIT (an EXISTS may be planned as a hash of all of crr_clock), so
    -- each touched row is index probes: one for a row the clocks do not know (most rows), two
    -- for one they do.
    SELECT t.*,
           CASE WHEN (SELECT true FROM crr_clock c WHERE c.tbl = t.tbl AND c.pk = t.pk LIMIT 1)
                THEN coalesce((SELECT s.col_version FROM crr_clock s
                                WHERE s.tbl = t.tbl AND s.pk = t.pk AND s.cid = '-1'), 1)
                ELSE 0 END AS local_cl
      FROM touched t
), levels AS (
    -- How many causal lengths at or above the row's own the batch brings; counted change by
    -- change only for the rare rows whose batch holds more than one.
    SELECT st.*,
           CASE WHEN st.low = st.top THEN (st.top >= st.local_cl)::int
                ELSE (SELECT count(DISTINCT m.cl) FROM merge_in m
                       WHERE m.tbl = st.tbl AND m.pk = st.pk AND m.cl >= st.local_cl) END AS n
      FROM state st
)
SELECT tbl, pk, pkv, top, first_idx, first_cid, first_site, first_seq, local_cl,
       CASE WHEN n = 0 THEN 'ignore'
            WHEN n > 1 THEN 'ordered'
            WHEN top % 2 = 0 THEN CASE WHEN top > local_cl THEN 'delete' ELSE 'noop' END
            WHEN local_cl = 0 THEN 'new'
            WHEN top > local_cl THEN 'create'
            ELSE 'merge' END AS kind
  FROM levels
"""

_CONFLICTS_ROWS = f"""
INSERT INTO merge_conflicts (at, db_version, tbl, pk, row_key, cid, rule, incoming_won,
    incoming_value, incoming_site_id, incoming_col_version, incoming_cl,
    existing_value, existing_site_id, existing_col_version, existing_cl)
SELECT now(), :dbv, r.tbl, r.pk, r.pkv, '-1', 'causal_length', r.kind <> 'ignore',
       {_DISPLAY.format("f")}, f.site_id, f.col_version, f.cl,
       NULL, o.site_id, NULL, r.local_cl
  FROM merge_rows r
  JOIN merge_in f ON f.idx = r.first_idx
  JOIN LATERAL (SELECT c.site_id FROM crr_clock c
                 WHERE c.tbl = r.tbl AND c.pk = r.pk AND c.site_id <> f.site_id
                 ORDER BY c.cid = '-1' DESC LIMIT 1) o ON true
 WHERE r.kind IN ('ignore', 'delete', 'create') AND r.local_cl > 0
   AND {_when("kind IN ('ignore', 'delete', 'create') AND local_cl > 0")}
"""

_DELETE_CELLS = f"""
DELETE FROM crr_clock c USING merge_rows r
 WHERE r.kind = 'delete' AND c.tbl = r.tbl AND c.pk = r.pk AND c.cid <> '-1'
   AND {_when("kind = 'delete'")}
"""
_PUT_SENTINELS = """
INSERT INTO crr_clock (tbl, pk, cid, col_version, db_version, site_id, seq, vtype)
SELECT r.tbl, r.pk, '-1', r.top, :dbv, r.first_site, r.first_seq, 0
  FROM merge_rows r
 WHERE r.kind = 'delete' OR (r.kind IN ('create', 'new') AND (r.top > 1 OR r.first_cid = '-1'))
ON CONFLICT (tbl, pk, cid) DO UPDATE
   SET col_version = excluded.col_version, db_version = excluded.db_version,
       site_id = excluded.site_id, seq = excluded.seq, vtype = 0,
       vint = NULL, vreal = NULL, vbytes = NULL
"""
_ZERO_CELLS = f"""
UPDATE crr_clock c SET col_version = 0 FROM merge_rows r
 WHERE r.kind = 'create' AND c.tbl = r.tbl AND c.pk = r.pk AND c.cid <> '-1'
   AND {_when("kind = 'create'")}
"""
# The changes that may win a cell: at the row's top causal length, of rows that take cells.
_CANDIDATES = """
  FROM merge_in m JOIN merge_rows r ON r.tbl = m.tbl AND r.pk = m.pk
 WHERE r.kind IN ('create', 'merge', 'new') AND m.cl = r.top AND m.cid <> '-1'"""
_WINNERS = f"""
INSERT INTO merge_win
SELECT DISTINCT ON (m.tbl, m.pk, m.cid) m.*, r.kind{_CANDIDATES}
 ORDER BY m.tbl, m.pk, m.cid, m.col_version DESC, m.vrank DESC, m.vint DESC NULLS LAST,
          m.vreal DESC NULLS LAST, m.vbytes DESC NULLS LAST, m.idx
"""
# When no cell comes twice in the batch (the usual push), every candidate is its cell's best:
# no sort.
_ALL_WIN = f"INSERT INTO merge_win SELECT m.*, r.kind{_CANDIDATES}"
_CONFLICTS_CELLS = f"""
INSERT INTO merge_conflicts (at, db_version, tbl, pk, row_key, cid, rule, incoming_won,
    incoming_value, incoming_site_id, incoming_col_version, incoming_cl,
    existing_value, existing_site_id, existing_col_version, existing_cl)
SELECT now(), :dbv, w.tbl, w.pk, w.pkv, w.cid,
       CASE WHEN w.col_version <> c.col_version THEN 'col_version' ELSE 'value' END,
       {_KEY.format("w", rank="w.vrank")} > {_KEY.format("c", rank=_RANK.format("c"))},
       {_DISPLAY.format("w")}, w.site_id, w.col_version, w.cl,
       {_DISPLAY.format("c")}, c.site_id, c.col_version, w.cl
  FROM merge_win w
  JOIN merge_rows r ON r.tbl = w.tbl AND r.pk = w.pk AND r.kind = 'merge'
  JOIN crr_clock c ON c.tbl = w.tbl AND c.pk = w.pk AND c.cid = w.cid
 WHERE c.site_id <> w.site_id
   AND {_KEY.format("w", rank="w.vrank")} <> {_KEY.format("c", rank=_RANK.format("c"))}
   -- A losing cell at col_version 0 is no one's edit: cr-sqlite hands a re-created row's cell
   -- back once (an echo, see ARCHITECTURE.md), and the console would show it as a conflict.
   AND (w.col_version > 0
        OR {_KEY.format("w", rank="w.vrank")} > {_KEY.format("c", rank=_RANK.format("c"))})
   AND {_when("kind = 'merge'")}
"""
_PUT_CELLS = f"""
WITH old AS MATERIALIZED (
    -- Cells of rows the clocks know (few, next to the new rows' cells): picked once, so the
    -- join below is between two small sets.
    SELECT * FROM merge_win WHERE kind <> 'new' AND {_when("kind IN ('create', 'merge')")}
), up AS (
    INSERT INTO crr_clock AS c (tbl, pk, cid, col_version, db_version, site_id, seq, vtype,
                                vint, vreal, vbytes)
    SELECT w.tbl, w.pk, w.cid, w.col_version, :dbv, w.site_id, w.seq, w.vtype,
           w.vint, w.vreal, w.vbytes
      FROM old w
    ON CONFLICT (tbl, pk, cid) DO UPDATE
       SET col_version = excluded.col_version, db_version = excluded.db_version,
           site_id = excluded.site_id, seq = excluded.seq, vtype = excluded.vtype,
           vint = excluded.vint, vreal = excluded.vreal, vbytes = excluded.vbytes
     WHERE {_KEY.format("excluded", rank=_RANK.format("excluded"))}
         > {_KEY.format("c", rank=_RANK.format("c"))}
    RETURNING c.tbl, c.pk, c.cid
)
INSERT INTO merge_applied (tbl, pkv, cid, mval, site_id)
SELECT w.tbl, w.pkv, w.cid, w.mval, w.site_id FROM up JOIN old w USING (tbl, pk, cid)
"""

# Rows no clock mentions yet (most of what installs send: new operations and events) need no
# comparison: their cells go in with a plain INSERT, and their mirror rows with all values at once.
_PUT_NEW_CELLS = """
INSERT INTO crr_clock (tbl, pk, cid, col_version, db_version, site_id, seq, vtype,
                       vint, vreal, vbytes)
SELECT w.tbl, w.pk, w.cid, w.col_version, :dbv, w.site_id, w.seq, w.vtype,
       w.vint, w.vreal, w.vbytes
  FROM merge_win w WHERE w.kind = 'new'
"""


# What each origin site's changes applied (the parts of BatchResult.applied): rows created or
# deleted by a site's first change of them, and cells a site's change won.
_APPLIED_BY_SITE = """
SELECT site, sum(n) FROM (
    SELECT first_site AS site, count(*) AS n FROM merge_rows
     WHERE kind IN ('delete', 'create', 'new') GROUP BY first_site
    UNION ALL SELECT site_id, count(*) FROM merge_win WHERE kind = 'new' GROUP BY site_id
    UNION ALL SELECT site_id, count(*) FROM merge_applied GROUP BY site_id
) parts GROUP BY site
"""


@dataclass(frozen=True)
class BatchResult:
    applied: int  # rows created or deleted, plus cells that won
    ordered_rows: int  # rows merged change by change (several causal lengths in one batch)
    by_site: dict[bytes, int] = field(default_factory=dict)  # ``applied`` per origin, if asked


def row_heads(batch: Sequence[tuple[Change, SqlValue]]) -> dict[int, tuple[int, int]]:
    """For each row the batch touches, its head: the index of its first change at the highest
    causal length the batch brings for it -> (that length, the lowest one)."""
    heads: dict[tuple[str, bytes], list[int]] = {}
    for idx, (change, _) in enumerate(batch):
        cl = change.cl
        head = heads.get((change.table, change.pk))
        if head is None:
            heads[(change.table, change.pk)] = [idx, cl, cl]
        elif cl > head[1]:
            head[0], head[1] = idx, cl
        elif cl < head[2]:
            head[2] = cl
    return {idx: (top, low) for idx, top, low in heads.values()}


def staging_rows(
    batch: Sequence[tuple[Change, SqlValue]], heads: dict[int, tuple[int, int]]
) -> Iterator[tuple]:
    """The staging table's rows for a batch, in delivery order; ``heads`` from
    :func:`row_heads`."""
    parts, literals = sqlvalues.clock_parts, LITERALS
    no_head = (None, None)
    for idx, (change, key) in enumerate(batch):
        value = change.val
        vtype, rank, vint, vreal, vbytes = parts(value)
        literal = literals.get((change.table, change.cid))
        yield (
            idx,
            change.table,
            change.pk,
            key,
            change.cid,
            vtype,
            rank,
            vint,
            vreal,
            vbytes,
            change.col_version,
            change.site_id,
            change.cl,
            change.seq,
            None if literal is None else literal(value),
            *heads.get(idx, no_head),
        )


def _ready_work_tables(conn: Connection) -> None:
    """Make the work tables on this connection's first merge (or again after the transaction that
    made them rolled back); empty them when a merge earlier in this transaction filled them
    (otherwise the last commit did)."""
    if conn.execute(text("SELECT to_regclass('pg_temp.merge_in')")).scalar() is None:
        for statement in _WORK_TABLES.split(";")[:-1]:
            conn.execute(text(statement))
    else:
        earlier = conn.info.get("merge_transaction")
        if earlier is not None and earlier() is conn.get_transaction():
            # DELETE, not TRUNCATE: a group commit merges many small pushes in one transaction,
            # and TRUNCATE gives each table new files every time.
            for name in _WORK_TABLE_NAMES.split(", "):
                conn.execute(text(f"DELETE FROM {name}"))
    conn.info["merge_transaction"] = weakref.ref(conn.get_transaction())


def _copy_in(conn: Connection, batch: Sequence[tuple[Change, SqlValue]]) -> None:
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(_COPY) as copy:  # bytes dumped in C (central.db)
        copy.set_types(_COPY_TYPES)
        for row in staging_rows(batch, row_heads(batch)):
            copy.write_row(row)


_KINDS = "SELECT kind, count(*) FROM merge_rows GROUP BY kind"


@dataclass(frozen=True)
class _Done:
    count: int  # rows the statement changed (or returned)
    rows: list[tuple]  # what it returned


def _pipelined(conn: Connection, statements: Sequence[str], params: dict) -> list[_Done]:
    """Run ``statements`` in order, in one round trip to PostgreSQL (psycopg's pipeline mode).

    A merge is a score of small statements, and on a busy machine each round trip costs more
    than its statement: the wait for the server process, then for this thread to run again,
    all of it with the merge lock held."""
    raw = conn.connection.driver_connection
    cursors = []
    try:
        with raw.pipeline() as pipeline:
            for sql in statements:
                cursor = raw.cursor()
                cursors.append(cursor)
                if ":dbv" in sql:
                    cursor.execute(_driver_sql(sql), params)
                else:  # no parameters: the text goes as it is
                    cursor.execute(sql)
            pipeline.sync()
        return [_Done(c.rowcount, c.fetchall() if c.description else []) for c in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


@functools.cache
def _driver_sql(sql: str) -> str:
    """``sql`` written for SQLAlchemy's text() (``:dbv``) in psycopg's parameter style."""
    return sql.replace("%", "%%").replace(":dbv", "%(dbv)s")


def _pg_type(column) -> str:
    return column.type.compile(dialect=postgresql.dialect())


@dataclass(frozen=True)
class _MirrorSql:
    delete: str  # rows deleted by this batch
    create: str  # rows re-created: the key now, values by ``update``
    insert_new: str  # rows never seen: key and values at once
    insert_bare: str  # rows never seen, created by a sentinel change only
    update: str  # cells that won, from merge_applied


def _mirror_statements(table: str) -> _MirrorSql:
    spec = REPLICATED[table]
    pk_col = f'"{spec.pk_column.name}"'
    names = ", ".join(f'"{name}"' for name in spec.value_columns)
    sets, picks, values = [], [], []
    for i, (name, column) in enumerate(spec.value_columns.items()):
        cast = _pg_type(column)
        sets.append(f'"{name}" = CASE WHEN a.s{i} THEN a.v{i}::{cast} ELSE t."{name}" END')
        picks.append(
            f"bool_or(cid = '{name}') AS s{i}, max(mval) FILTER (WHERE cid = '{name}') AS v{i}"
        )
        values.append(f"(max(mval) FILTER (WHERE cid = '{name}'))::{cast}")
    deletes = _when(f"kind = 'delete' AND tbl = '{table}'")
    return _MirrorSql(
        delete=(
            f'DELETE FROM "{table}" t USING merge_rows r'
            f" WHERE r.kind = 'delete' AND r.tbl = '{table}' AND t.{pk_col} = r.pkv"
            f" AND {deletes}"
        ),
        create=(
            f'INSERT INTO "{table}" ({pk_col}) SELECT r.pkv FROM merge_rows r'
            f" WHERE r.kind = 'create' AND r.tbl = '{table}' ON CONFLICT DO NOTHING"
        ),
        insert_new=(
            f'INSERT INTO "{table}" ({pk_col}, {names}) SELECT pkv, {", ".join(values)}'
            f" FROM merge_win WHERE kind = 'new' AND tbl = '{table}' GROUP BY pkv"
        ),
        # a new row made by its sentinel alone has no cell in merge_win
        insert_bare=(
            f'INSERT INTO "{table}" ({pk_col}) SELECT pkv FROM merge_rows'
            f" WHERE kind = 'new' AND tbl = '{table}' AND first_cid = '-1'"
            " ON CONFLICT DO NOTHING"
        ),
        update=(
            f'UPDATE "{table}" t SET {", ".join(sets)}'
            f" FROM (SELECT pkv, {', '.join(picks)} FROM merge_applied"
            f" WHERE tbl = '{table}' GROUP BY pkv) a WHERE t.{pk_col} = a.pkv"
            f" AND EXISTS (SELECT FROM merge_applied WHERE tbl = '{table}')"
        ),
    )


_MIRROR_SQL = {name: _mirror_statements(name) for name in REPLICATED}

# From this many changes, a batch's new rows go in by COPY first (central.new_rows): a few more
# round trips, each worth it for a large batch only (a small push waits on round trips, a
# catch-up on writing tuples).
BULK_MIN = 1_000


def merge_batch(
    conn: Connection,
    batch: Sequence[tuple[Change, SqlValue]],
    db_version: int,
    *,
    by_site: bool = False,
) -> BatchResult:
    """Merge validated ``(change, key)`` pairs, in delivery order, stamped ``db_version``;
    ``by_site`` also counts what each origin's changes applied (one more query)."""
    if len(batch) >= BULK_MIN:
        new = put_new_rows(conn, batch, db_version)
        rest = _merge_staged(conn, new.rest, db_version, by_site=by_site)
        sites = new.by_site + Counter(rest.by_site) if by_site else Counter()
        return BatchResult(new.rows + new.cells + rest.applied, rest.ordered_rows, dict(sites))
    return _merge_staged(conn, batch, db_version, by_site=by_site)


def _merge_staged(
    conn: Connection, batch: Sequence[tuple[Change, SqlValue]], db_version: int, *, by_site: bool
) -> BatchResult:
    """:func:`merge_batch` through the work tables, in one round trip after the COPY."""
    if not batch:
        return BatchResult(0, 0)
    _ready_work_tables(conn)
    _copy_in(conn, batch)
    tables = [_MIRROR_SQL[name] for name in {change.table for change, _ in batch}]
    once = len({(change.table, change.pk, change.cid) for change, _ in batch}) == len(batch)
    # Every step in order, each a no-op where its kind of row is absent.
    steps = [_CLASSIFY, _KINDS, _CONFLICTS_ROWS, _DELETE_CELLS, _PUT_SENTINELS, _ZERO_CELLS]
    steps += [sql for table in tables for sql in (table.delete, table.create)]
    steps += [_ALL_WIN if once else _WINNERS, _CONFLICTS_CELLS, _PUT_NEW_CELLS]
    steps += [sql for table in tables for sql in (table.insert_new, table.insert_bare)]
    steps += [_PUT_CELLS, *(table.update for table in tables)]
    if by_site:
        steps.append(_APPLIED_BY_SITE)
    done = _pipelined(conn, steps, {"dbv": db_version})
    kinds = dict(done[steps.index(_KINDS)].rows)
    cells = done[steps.index(_PUT_NEW_CELLS)].count + done[steps.index(_PUT_CELLS)].count
    applied = cells + sum(kinds.get(kind, 0) for kind in ("delete", "create", "new"))
    sites: Counter[bytes] = Counter()
    if by_site:
        sites.update({bytes(site): int(n) for site, n in done[-1].rows})
    ordered = kinds.get("ordered", 0)
    if ordered:
        in_order = _merge_in_order(conn, batch, db_version)
        applied += in_order.total()
        sites.update(in_order)
    return BatchResult(applied, ordered, dict(sites) if by_site else {})


def _merge_in_order(
    conn: Connection, batch: Sequence[tuple[Change, SqlValue]], db_version: int
) -> Counter[bytes]:
    rows = {
        (tbl, bytes(pk))
        for tbl, pk in conn.execute(text("SELECT tbl, pk FROM merge_rows WHERE kind = 'ordered'"))
    }
    merger = Merger(conn, db_version)
    applied: Counter[bytes] = Counter()
    for change, key in batch:
        if (change.table, change.pk) in rows and merger.apply(change, key):
            applied[change.site_id] += 1
    log.debug("merged %d rows change by change", len(rows))
    return applied


__all__ = ["SENTINEL", "BatchResult", "merge_batch"]
