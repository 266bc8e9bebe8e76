"""The team glossary (the replicated ``glossary_terms`` table): browse, search, add, edit, delete,
and what sync has made of each term.

Every change is one transaction on the single writer, so cr-sqlite records it and the replicator
pushes it. Two states are read from cr-sqlite's clocks (``crsql_changes``), never stored:

* **waiting to sync**: a cell of the term holds a change of ours (``site_id = crsql_site_id()``)
  at a ``db_version`` central has not acknowledged (``> sync_state.acked_db_version``).
* **contested**: a cell we changed now holds another site's value at the very ``col_version`` we
  wrote. ``col_version`` counts the edits a cell has seen, so a colleague who had seen our change
  would have written the next one; the same number from two sites means both edited the same
  starting value without seeing each other, and cr-sqlite kept one (at equal col_version, the
  larger value). The install whose value lost is the one that shows it (with both values), which
  is where someone must decide. It is sound, not complete: the winning side learns nothing (the
  losing change never reaches it), and a colleague's concurrent edit made after more edits of
  their own (a higher col_version) cannot be told apart from an edit made after seeing ours.
  Our own writes are kept for this in the local table ``glossary_edits`` (one row per cell).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.db import Connection, Database
from engine.errors import EngineError
from engine.sync_state import acked_db_version

COLUMNS = ("source", "translation", "game", "language", "note")
SortKey = Literal["source", "translation", "game", "language"]
# Longest value per column; one-line columns refuse tabs and line breaks (terms go to TSV).
LIMITS = {"source": 500, "translation": 500, "game": 100, "language": 50, "note": 2000}
ONE_LINE = ("source", "translation", "game", "language")
REQUIRED = ("source", "translation")


class BadTerm(EngineError):
    """A term's values are missing, too long, or hold a tab or line break."""

    status = 422
    code = "bad_term"


class NoSuchTerm(EngineError):
    """No term has this id (perhaps a colleague deleted it)."""

    status = 404
    code = "no_such_term"


@dataclass(frozen=True)
class Term:
    id: str
    source: str
    translation: str
    game: str = ""
    language: str = ""
    note: str = ""


@dataclass(frozen=True)
class Contest:
    """A cell where a colleague's concurrent change replaced ours."""

    column: str
    mine: str
    kept: str


@dataclass(frozen=True)
class Row:
    term: Term
    waiting: bool
    contests: tuple[Contest, ...] = ()


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class Filters:
    text: str = ""
    game: str | None = None
    language: str | None = None
    contested_only: bool = False


@dataclass
class _Where:
    sql: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def clean(values: dict[str, Any], *, partial: bool = False) -> dict[str, str]:
    """The values of a term, stripped and checked; raises BadTerm naming the first problem."""
    unknown = set(values) - set(COLUMNS)
    if unknown:
        raise BadTerm(f"a term has no {', '.join(sorted(unknown))}")
    out: dict[str, str] = {}
    for column in COLUMNS:
        if column not in values:
            if not partial and column in REQUIRED:
                raise BadTerm(f"give the term's {column}")
            continue
        value = values[column]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise BadTerm(f"{column} must be text")
        value = value.strip()
        if column in REQUIRED and not value:
            raise BadTerm(f"the {column} cannot be empty")
        if len(value) > LIMITS[column]:
            raise BadTerm(f"the {column} is longer than {LIMITS[column]} characters")
        if column in ONE_LINE and any(ch in value for ch in "\t\r\n"):
            raise BadTerm(f"the {column} must be one line without tabs")
        out[column] = value
    return out


class Glossary:
    """The team glossary of this install's engine.db."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- reading -------------------------------------------------------------------------------

    def page(
        self,
        filters: Filters = Filters(),
        *,
        sort: SortKey = "source",
        descending: bool = False,
        offset: int = 0,
        limit: int = 50,
    ) -> Page:
        """One page of terms matching ``filters``, sorted in SQL, with their sync states."""
        if sort not in ("source", "translation", "game", "language"):
            raise BadTerm(f"cannot sort by {sort!r}")
        where = _Where()
        if filters.text.strip():
            where.sql.append(
                "(source LIKE ? ESCAPE '\\' OR translation LIKE ? ESCAPE '\\'"
                " OR note LIKE ? ESCAPE '\\')"
            )
            where.args += [_like(filters.text.strip())] * 3
        for column, value in (("game", filters.game), ("language", filters.language)):
            if value is not None:
                where.sql.append(f"{column} = ?")
                where.args.append(value)
        with self._db.read() as conn:
            if filters.contested_only:
                ids = sorted(_contests(conn))
                where.sql.append(f"id IN ({','.join('?' * len(ids)) or 'NULL'})")
                where.args += ids
            clause = f"WHERE {' AND '.join(where.sql)}" if where.sql else ""
            total = conn.execute(f"SELECT count(*) FROM glossary_terms {clause}", where.args)
            count = int(total.fetchone()[0])
            order = "DESC" if descending else "ASC"
            rows = conn.execute(
                f"SELECT id, {', '.join(COLUMNS)}, crsql_pack_columns(id) FROM glossary_terms"
                f" {clause} ORDER BY {sort} {order}, source {order}, id LIMIT ? OFFSET ?",
                [*where.args, max(1, min(limit, 500)), max(0, offset)],
            ).fetchall()
            terms = [(Term(*r[:6]), bytes(r[6])) for r in rows]
            waiting = _waiting(conn, [pk for _, pk in terms])
            contests = _contests(conn, [t.id for t, _ in terms])
        return Page(
            rows=[Row(t, pk in waiting, tuple(contests.get(t.id, ()))) for t, pk in terms],
            total=count,
            offset=max(0, offset),
            limit=limit,
        )

    def get(self, term_id: str) -> Row:
        with self._db.read() as conn:
            row = conn.execute(
                f"SELECT id, {', '.join(COLUMNS)}, crsql_pack_columns(id) FROM glossary_terms"
                " WHERE id = ?",
                (term_id,),
            ).fetchone()
            if row is None:
                raise NoSuchTerm(f"no term {term_id} (a colleague may have deleted it)")
            pk = bytes(row[6])
            waiting = pk in _waiting(conn, [pk])
            contests = _contests(conn, [term_id]).get(term_id, [])
        return Row(Term(*row[:6]), waiting, tuple(contests))

    def facets(self) -> tuple[list[str], list[str]]:
        """The games and the languages terms name (for the filters)."""
        with self._db.read() as conn:
            games = [r[0] for r in conn.execute("SELECT DISTINCT game FROM glossary_terms")]
            langs = [r[0] for r in conn.execute("SELECT DISTINCT language FROM glossary_terms")]
        return sorted(games), sorted(langs)

    def pairs(self, game: str | None = None, language: str | None = None) -> list[tuple[str, str]]:
        """(source, translation) of the terms for one game and language; a term without a game
        (or language) is the team's for every game (or language)."""
        where = _Where()
        for column, value in (("game", game), ("language", language)):
            if value:
                where.sql.append(f"{column} IN (?, '')")
                where.args.append(value)
        clause = f"WHERE {' AND '.join(where.sql)}" if where.sql else ""
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT source, translation FROM glossary_terms {clause} ORDER BY source, id",
                where.args,
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def stamp(self) -> tuple[int, int]:
        """Changes whenever what the page shows may have: engine.db's db_version (every commit of
        a replicated change, local or pulled) and central's acknowledgement (waiting to sync)."""
        with self._db.read() as conn:
            version = int(conn.execute("SELECT crsql_db_version()").fetchone()[0])
            return version, acked_db_version(conn)

    # --- writing -------------------------------------------------------------------------------

    def add(self, values: dict[str, Any]) -> Term:
        term = clean(values)
        term_id = str(uuid.uuid4())
        with self._db.write() as conn:
            conn.execute(
                f"INSERT INTO glossary_terms (id, {', '.join(term)})"
                f" VALUES (?, {', '.join('?' * len(term))})",
                [term_id, *term.values()],
            )
            _journal(conn, term_id)
        return Term(id=term_id, **term)

    def update(self, term_id: str, values: dict[str, Any]) -> Term:
        changes = clean(values, partial=True)
        with self._db.write() as conn:
            if (
                conn.execute("SELECT 1 FROM glossary_terms WHERE id = ?", (term_id,)).fetchone()
                is None
            ):
                raise NoSuchTerm(f"no term {term_id} (a colleague may have deleted it)")
            if changes:
                sets = ", ".join(f"{c} = ?" for c in changes)
                conn.execute(
                    f"UPDATE glossary_terms SET {sets} WHERE id = ?", [*changes.values(), term_id]
                )
                _journal(conn, term_id)
            row = conn.execute(
                f"SELECT id, {', '.join(COLUMNS)} FROM glossary_terms WHERE id = ?", (term_id,)
            ).fetchone()
        return Term(*row)

    def delete(self, term_id: str) -> None:
        with self._db.write() as conn:
            if conn.execute("DELETE FROM glossary_terms WHERE id = ?", (term_id,)).rowcount == 0:
                raise NoSuchTerm(f"no term {term_id} (a colleague may have deleted it)")
            conn.execute("DELETE FROM glossary_edits WHERE term_id = ?", (term_id,))

    def keep_theirs(self, term_id: str) -> None:
        """Accept the values a contest kept: forget our replaced writes to this term."""
        with self._db.write() as conn:
            for contest in _contests(conn, [term_id]).get(term_id, []):
                conn.execute(
                    "DELETE FROM glossary_edits WHERE term_id = ? AND cid = ?",
                    (term_id, contest.column),
                )

    def use_mine(self, term_id: str) -> Term:
        """Write our replaced values again (a new change, which wins: its col_version is higher)."""
        row = self.get(term_id)
        return self.update(term_id, {c.column: c.mine for c in row.contests})


def _journal(conn: Connection, term_id: str) -> None:
    """Record the cells this transaction wrote to the term (their col_version and value)."""
    conn.execute(
        "INSERT INTO glossary_edits (term_id, cid, col_version, db_version, value)"
        " SELECT ?, cid, col_version, db_version, coalesce(val, '') FROM crsql_changes"
        " WHERE [table] = 'glossary_terms' AND pk = crsql_pack_columns(?)"
        " AND site_id = crsql_site_id() AND db_version = crsql_next_db_version()"
        " AND cid != '-1'"
        " ON CONFLICT (term_id, cid) DO UPDATE SET col_version = excluded.col_version,"
        " db_version = excluded.db_version, value = excluded.value",
        (term_id, term_id),
    )


def _waiting(conn: Connection, pks: Iterable[bytes]) -> set[bytes]:
    """Those of ``pks`` with a change of ours central has not acknowledged."""
    wanted = set(pks)
    if not wanted:
        return set()
    rows = conn.execute(
        "SELECT DISTINCT pk FROM crsql_changes WHERE [table] = 'glossary_terms'"
        " AND site_id = crsql_site_id() AND db_version > ?",
        (acked_db_version(conn),),
    )
    return {bytes(r[0]) for r in rows} & wanted


def _contests(conn: Connection, term_ids: Iterable[str] | None = None) -> dict[str, list[Contest]]:
    """Contested cells (see the module's docstring) by term id; of every term when ``term_ids``
    is None."""
    ids = None if term_ids is None else list(term_ids)
    if ids == []:
        return {}
    query = (
        "SELECT term_id, crsql_pack_columns(term_id), cid, col_version, db_version, value"
        " FROM glossary_edits"
    )
    if ids is not None:
        query += f" WHERE term_id IN ({','.join('?' * len(ids))})"
    mine: dict[tuple[bytes, str], tuple[str, int, str]] = {}
    oldest: int | None = None
    for term_id, pk, cid, col_version, db_version, value in conn.execute(query, ids or []):
        mine[(bytes(pk), cid)] = (term_id, col_version, value)
        oldest = db_version if oldest is None else min(oldest, db_version)
    if oldest is None:
        return {}
    # A change that replaced ours was merged after ours, so at a later local db_version.
    rows = conn.execute(
        "SELECT pk, cid, col_version, val FROM crsql_changes WHERE [table] = 'glossary_terms'"
        " AND db_version > ? AND site_id != crsql_site_id()",
        (oldest,),
    )
    found: dict[str, list[Contest]] = {}
    for pk, cid, col_version, val in rows:
        entry = mine.get((bytes(pk), cid))
        if entry is not None and entry[1] == col_version and entry[2] != (val or ""):
            found.setdefault(entry[0], []).append(Contest(cid, entry[2], val or ""))
    for contests in found.values():
        contests.sort(
            key=lambda c: COLUMNS.index(c.column) if c.column in COLUMNS else len(COLUMNS)
        )
    return found
