"""Simulated installs for `locanext bench load`: their identities, their changes, and the checks
of the mirror afterwards.

Changes are not invented: one real engine.db (cr-sqlite) records a tool run the way the app does
(`OperationLog`: the run's start, its end with warning events, and a glossary term), and each
simulated install replays that template with its own site id, fresh row ids, its own install id
in the values and its own db_versions. Glossary terms come from a small shared pool, so installs
edit the same terms concurrently and central resolves real conflicts.

Installs are enrolled by writing their rows into ``enrollments`` (token stored as its SHA-256,
as central does): a thousand sign-ins would measure the sign-in throttle and scrypt, not sync.
"""

from __future__ import annotations

import gzip
import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from central.credentials import new_token, token_hash
from central.sqlvalues import from_clock
from engine import telemetry
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from engine.operations import OperationLog, RunState
from replicator.wire import Change, PushRequest, VersionSpan, pk

TERM_POOL = 50  # glossary terms the fleet edits concurrently
TERM_SHARE = 0.2  # of tool runs also edit a glossary term
SHARED_CHECKED = "glossary_terms"  # the shared table installs write, compared with a hub


@dataclass(frozen=True)
class Template:
    """One tool run as cr-sqlite recorded it: the run's versions (start, end + events) and the
    glossary term's version, with the ids to replace."""

    run: list[list[Change]]
    term: list[Change]
    install_id: str
    ids: list[str]  # row ids (text keys) of the run
    term_id: str


def record_template(data_dir: Path, username: str) -> Template:
    db = Database(data_dir / "engine.db")
    try:
        operations = OperationLog(db)
        op_id = operations.start(
            tool="xlsx_transfer",
            function="transfer",
            username=username,
            parameters={"threshold": 0.99, "sheet": "Sheet1", "source_column": "B"},
            input_files=["C:/loc/game/strings_ko.xlsx"],
        )
        operations.finish(
            op_id,
            status=RunState.SUCCEEDED,
            rows_in=1200,
            rows_out=1187,
            output_files=["C:/loc/game/strings_en.xlsx"],
            warnings=["13 rows had no match above 0.99", "2 rows lost a code tag"],
        )
        with db.write() as conn:
            telemetry.record(conn, "info", "tools.xlsx_transfer", "transfer wrote 1187 rows")
        term_id = str(uuid.uuid4())
        with db.write() as conn:
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation, game, language, note)"
                " VALUES (?, '검', 'sword', 'game1', 'en', '')",
                (term_id,),
            )
        with db.read() as conn:
            rows = conn.execute(
                'SELECT "table", pk, cid, val, col_version, db_version, site_id, cl, seq'
                " FROM crsql_changes WHERE site_id = crsql_site_id() ORDER BY db_version, seq"
            ).fetchall()
        install_id = db.install_id
    finally:
        db.close()
    changes = [Change.from_row(row) for row in rows]
    by_version: dict[int, list[Change]] = {}
    for change in changes:
        by_version.setdefault(change.db_version, []).append(change)
    versions = list(by_version.values())
    term = versions.pop()
    assert all(c.table == "glossary_terms" for c in term)
    ids = sorted({str(pk.unpack(c.pk)[0]) for v in versions for c in v})
    return Template(versions, term, install_id, ids, term_id)


@dataclass
class SimInstall:
    """One simulated install: identity, its db_version counter, what central acknowledged."""

    site_id: bytes
    token: str
    version: int = 0
    acked: int = 0
    cursor: int = 0
    term_edits: dict[str, int] = field(default_factory=dict)
    # Central's state is known from its answers, as a running replicator remembers it between
    # rounds; forgotten on a failure, after which the next round asks central first.
    knows_central: bool = False

    @property
    def install_id(self) -> str:
        return self.site_id.hex()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Ledger:
    """What the fleet sent, to check the mirror against: up-table rows and cells, and every
    shared change (for the hub)."""

    rows: dict[str, set[bytes]] = field(default_factory=dict)
    cells: dict[str, set[tuple[bytes, str]]] = field(default_factory=dict)
    shared: list[Change] = field(default_factory=list)
    changes: int = 0

    def add(self, changes: Iterable[Change]) -> None:
        for c in changes:
            self.changes += 1
            if c.table == SHARED_CHECKED:
                self.shared.append(c)
                continue
            self.rows.setdefault(c.table, set()).add(c.pk)
            if c.cid != "-1":
                self.cells.setdefault(c.table, set()).add((c.pk, c.cid))


def _replace(value: object, names: dict[str, str]) -> object:
    if not isinstance(value, str):
        return value
    for old, new in names.items():
        if old in value:
            value = value.replace(old, new)
    return value


def _rewrite(
    changes: Sequence[Change], site: SimInstall, version: int, names: dict[str, str], bump: int = 0
) -> list[Change]:
    out = []
    for c in changes:
        key = _replace(pk.unpack(c.pk)[0], names)
        out.append(
            c.model_copy(
                update={
                    "pk": pk.pack([key]),
                    "val": _replace(c.val, names),
                    "site_id": site.site_id,
                    "db_version": version,
                    "col_version": c.col_version + bump,
                }
            )
        )
    return out


def tool_run(template: Template, site: SimInstall, rng: random.Random) -> list[list[Change]]:
    """The versions of one new tool run on ``site`` (sometimes with a glossary edit)."""
    names = {old: str(uuid.UUID(int=rng.getrandbits(128))) for old in template.ids}
    names[template.install_id] = site.install_id
    versions = []
    for changes in template.run:
        site.version += 1
        versions.append(_rewrite(changes, site, site.version, names))
    if rng.random() < TERM_SHARE:
        term = f"term-{rng.randrange(TERM_POOL):03d}"
        edits = site.term_edits[term] = site.term_edits.get(term, 0) + 1
        site.version += 1
        term_names = {template.term_id: term, "sword": f"sword ({site.install_id[:6]} #{edits})"}
        versions.append(_rewrite(template.term, site, site.version, term_names, bump=edits - 1))
    return versions


def push_body(site: SimInstall, versions: Sequence[Sequence[Change]], since: int) -> bytes:
    """A push of whole versions, gzip-compressed as the replicator sends it."""
    spans = [
        VersionSpan(db_version=v[0].db_version, count=len(v), last_seq=v[-1].seq) for v in versions
    ]
    request = PushRequest(
        site_id=site.site_id,
        schema_version=SCHEMA_VERSION,
        since=since,
        versions=spans,
        changes=[c for v in versions for c in v],
    )
    return gzip.compress(request.model_dump_json().encode("utf-8"), compresslevel=5)


def enroll(dsn: str, username: str, count: int) -> list[SimInstall]:
    """``count`` installs enrolled to ``username``, each with its own site id and token."""
    now = datetime.now(UTC)
    fleet = [SimInstall(uuid.uuid4().bytes, new_token()) for _ in range(count)]
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO enrollments (install_id, username, token_hash, enrolled, expires)"
            " VALUES (%s, %s, %s, %s, %s)",
            [
                (s.install_id, username, token_hash(s.token), now, now + timedelta(days=90))
                for s in fleet
            ],
        )
    return fleet


# --- checks afterwards --------------------------------------------------------------------------


def up_tables_exact(dsn: str, ledger: Ledger, fleet: Sequence[SimInstall]) -> tuple[bool, str]:
    """Every row and cell the fleet sent is in the mirror once, nothing else of the fleet's, and
    every install's watermark is its last version."""
    problems = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, keys in ledger.rows.items():
            rows = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            cells = conn.execute(
                "SELECT count(*) FROM crr_clock WHERE tbl = %s AND cid <> '-1'", (table,)
            ).fetchone()
            expected_cells = len(ledger.cells.get(table, ()))
            if rows is None or rows[0] != len(keys) or cells is None or cells[0] != expected_cells:
                problems.append(
                    f"{table}: {rows and rows[0]} rows / {cells and cells[0]} cells, expected "
                    f"{len(keys)} / {expected_cells}"
                )
        acked = dict(
            conn.execute("SELECT install_id, acked_db_version FROM enrollments").fetchall()
        )
    behind = [s.install_id for s in fleet if acked.get(s.install_id) != s.version]
    if behind:
        problems.append(f"{len(behind)} installs' watermark is not their last version")
    done = "every row and cell once, every watermark at its end"
    return not problems, "; ".join(problems) or done


def _hub_clocks(data_dir: Path, changes: Sequence[Change], seed: int) -> list[tuple]:
    """A real cr-sqlite database fed the shared changes (shuffled), its cells afterwards."""
    shuffled = list(changes)
    random.Random(seed).shuffle(shuffled)
    hub = Database(data_dir / "hub.db")
    try:
        with hub.write() as conn:
            conn.executemany(
                'INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version,'
                " site_id, cl, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [c.as_row() for c in shuffled],
            )
        with hub.read() as conn:
            rows = conn.execute(
                "SELECT pk, cid, val, col_version, site_id, cl FROM crsql_changes"
                " WHERE \"table\" = ? AND cid <> '-1' ORDER BY pk, cid",
                (SHARED_CHECKED,),
            ).fetchall()
    finally:
        hub.close()
    return [(bytes(r[0]), r[1], r[2], r[3], r[5]) for r in rows]


def _mirror_clocks(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.pk, c.cid, c.vtype, c.vint, c.vreal, c.vbytes, c.col_version,"
            " coalesce(s.col_version, 1) FROM crr_clock c LEFT JOIN crr_clock s"
            " ON s.tbl = c.tbl AND s.pk = c.pk AND s.cid = '-1'"
            " WHERE c.tbl = %s AND c.cid <> '-1' AND c.col_version > 0",
            (SHARED_CHECKED,),
        ).fetchall()
    out = [(bytes(r[0]), r[1], from_clock(r[2], r[3], r[4], r[5]), r[6], r[7]) for r in rows]
    return sorted(out, key=lambda r: (r[0], r[1]))


def shared_equals_hub(dsn: str, ledger: Ledger, data_dir: Path) -> tuple[bool, str]:
    """Every cell's value, col_version and causal length equal to a hub's. Not its origin: when
    two sites wrote an equal value at an equal col_version, the first to arrive stays, and
    arrival order differs between central and the hub."""
    hub = _hub_clocks(data_dir, ledger.shared, seed=len(ledger.shared))
    mirror = _mirror_clocks(dsn)
    if hub == mirror:
        return True, f"{SHARED_CHECKED}: {len(mirror):,} cells equal to a cr-sqlite hub's"
    return False, f"{SHARED_CHECKED}: mirror {len(mirror):,} cells, hub {len(hub):,}, they differ"
