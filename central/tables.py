"""PostgreSQL tables of central (SQLAlchemy Core), and the catalog of replicated tables.

Mirror tables have the names and columns of engine.db's replicated tables, with real PostgreSQL
types so admins can query them. Every mirror column except the key is nullable: a value that does
not fit its column's type is NULL here, and the exact SQLite value always lives in ``crr_clock``.
web_admin reads these definitions (and nothing else of central).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from central.sqlvalues import Label

metadata = MetaData()


def _ts(name: str) -> Column:
    return Column(name, DateTime(timezone=True))


# The admin console's lists sort by time with a fixed stand-in for NULL, then id (migration 0010).
NEVER = "'0001-01-01 00:00:00+00'::timestamptz"


def _listed(time_column: str) -> str:
    return f"coalesce({time_column}, {NEVER}) DESC"


def _list_indexes(*columns: str) -> list[tuple[str, tuple[str, ...]]]:
    """(name part, leading columns) of each list index: the sort key alone, then per filter."""
    return [("", ()), *((f"_{c}", (c,)) for c in columns)]


def _trigrams(table: str, column: str) -> Index:
    """The console's free text (``ILIKE '%...%'``) reads this GIN trigram index (migration 0012)."""
    return Index(
        f"{table}_{column}_trgm_idx",
        column,
        postgresql_using="gin",
        postgresql_ops={column: "gin_trgm_ops"},
    )


# --- mirror tables: "up" (install -> central) --------------------------------------------------
installs = Table(
    "installs",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text),
    Column("os", Text),
    Column("app_version", Text),
    _ts("first_seen"),
    _ts("last_seen"),
)
sessions = Table(
    "sessions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("install_id", Text),
    Column("username", Text),
    _ts("started"),
    _ts("ended"),
    Column("end_reason", Text),
)
operations = Table(
    "operations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("install_id", Label),
    Column("username", Label),
    Column("tool", Label),
    Column("function", Label),
    Column("status", Label),
    _ts("started"),
    _ts("finished"),
    Column("duration", Double),
    Column("rows_in", BigInteger),
    Column("rows_out", BigInteger),
    Column("input_files", JSONB),
    Column("output_files", JSONB),
    Column("parameters", JSONB),
    Column("error", Text),
    Index("ix_operations_install_id", "install_id"),
    Index("ix_operations_username", "username"),
    Index("operations_started_idx", text("started DESC")),
    *(
        # the admin console's lists (migration 0010)
        Index(f"operations{part}_list_idx", *lead, text(f"{_listed('started')}"), text("id DESC"))
        for part, lead in _list_indexes("tool", "username", "install_id", "status")
    ),
    Index("operations_duration_list_idx", text("coalesce(duration, -1.0) DESC"), text("id DESC")),
    _trigrams("operations", "error"),
)
events = Table(
    "events",
    metadata,
    Column("id", Text, primary_key=True),
    Column("install_id", Label),
    _ts("time"),
    Column("level", Label),
    Column("component", Label),
    Column("message", Text),
    Column("data", JSONB),
    Column("value", Double),  # numbers here; any SQLite type exactly in crr_clock
    *(
        Index(f"events{part}_list_idx", *lead, text(f"{_listed('time')}"), text("id DESC"))
        for part, lead in _list_indexes("level", "install_id", "component")
    ),
    _trigrams("events", "message"),
)
# --- mirror tables: "shared" (both ways) --------------------------------------------------------
users = Table(
    "users",
    metadata,
    Column("username", Text, primary_key=True),
    Column("display_name", Text),
    Column("team", Text),
    Column("language", Text),
    Column("role", Text),
    Column("active", Boolean),
)
glossary_terms = Table(
    "glossary_terms",
    metadata,
    Column("id", Text, primary_key=True),
    Column("source", Text),
    Column("translation", Text),
    Column("game", Text),
    Column("language", Text),
    Column("note", Text),
)
announcements = Table(
    "announcements",
    metadata,
    Column("id", Text, primary_key=True),
    Column("title", Text),
    Column("body", Text),
    Column("level", Text),
    _ts("created"),
    _ts("expires"),
)
app_releases = Table(
    "app_releases",
    metadata,
    Column("version", Text, primary_key=True),
    Column("required", Boolean),
    Column("notes", Text),
    Column("url", Text),
    _ts("released"),
)

# The shared tables' clocks, written out so the planner matches the partial index below.
SHARED_CLOCKS = (
    "tbl = ANY (ARRAY['users'::text, 'glossary_terms'::text, 'announcements'::text,"
    " 'app_releases'::text])"
)

# --- replication metadata -----------------------------------------------------------------------
# One row per (table, pk, cid), as in a cr-sqlite clock table; cid '-1' is the row's sentinel,
# whose col_version is the causal length (odd = alive, even = deleted). db_version is central's
# own counter (one per merge transaction); site_id stays the origin's. The winning value is kept
# exactly as SQLite typed it: vtype 0 NULL, 1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB.
crr_clock = Table(
    "crr_clock",
    metadata,
    Column("tbl", Text, primary_key=True),
    Column("pk", LargeBinary, primary_key=True),
    Column("cid", Text, primary_key=True),
    Column("col_version", BigInteger, nullable=False),
    Column("db_version", BigInteger, nullable=False),
    Column("site_id", LargeBinary, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("vtype", SmallInteger, nullable=False),
    Column("vint", BigInteger),
    Column("vreal", Double),
    Column("vbytes", LargeBinary),
    # Pulls read only shared tables' clocks by db_version; upstream clocks (the bulk of all
    # clocks) are never read that way, so they do not pay for this index on every merge.
    Index(
        "crr_clock_shared_db_version_idx",
        "db_version",
        postgresql_where=text(SHARED_CLOCKS),
    ),
)

# Changes central received but does not show yet: parts of a version whose other seqs have not
# arrived ("incomplete"), and cells of columns this central does not know ("unknown_column", from
# an install one schema version ahead). Keyed like the origin's transaction, so re-sending is a
# no-op.
parked_changes = Table(
    "parked_changes",
    metadata,
    Column("site_id", LargeBinary, primary_key=True),
    Column("db_version", BigInteger, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("reason", Text, nullable=False),
    Column("tbl", Text, nullable=False),
    Column("pk", LargeBinary, nullable=False),
    Column("cid", Text, nullable=False),
    Column("vtype", SmallInteger, nullable=False),
    Column("vint", BigInteger),
    Column("vreal", Double),
    Column("vbytes", LargeBinary),
    Column("col_version", BigInteger, nullable=False),
    Column("cl", BigInteger, nullable=False),
    Column("schema_version", Integer, nullable=False),
    _ts("received"),
)
# The version a site is sending in parts: how many changes it has and its last seq, as the
# install read them; set by the part that carries the last seq.
partial_versions = Table(
    "partial_versions",
    metadata,
    Column("site_id", LargeBinary, primary_key=True),
    Column("db_version", BigInteger, primary_key=True),
    Column("declared", Integer),
    Column("last_seq", Integer),
)
# Every merge decision between two sites' values: what came in, what was there, which rule
# decided (causal_length, col_version, value) and whether the incoming change won.
merge_conflicts = Table(
    "merge_conflicts",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    _ts("at"),
    Column("db_version", BigInteger, nullable=False),
    Column("tbl", Text, nullable=False),
    Column("pk", LargeBinary, nullable=False),
    Column("row_key", Text),
    Column("cid", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("incoming_won", Boolean, nullable=False),
    Column("incoming_value", Text),
    Column("incoming_site_id", LargeBinary, nullable=False),
    Column("incoming_col_version", BigInteger, nullable=False),
    Column("incoming_cl", BigInteger, nullable=False),
    Column("existing_value", Text),
    Column("existing_site_id", LargeBinary),
    Column("existing_col_version", BigInteger),
    Column("existing_cl", BigInteger),
    Index("merge_conflicts_at_idx", text("at DESC")),
)

# --- rollups of operations for the admin console's overview (migration 0011) -----------------
# Kept by statement triggers on ``operations``; hours and days are UTC.
operation_hours = Table(
    "operation_hours",
    metadata,
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("tool", Text, primary_key=True),
    Column("status", Text, primary_key=True),
    Column("runs", BigInteger, nullable=False),
)
operation_durations = Table(
    "operation_durations",
    metadata,
    Column("day", Date, primary_key=True),
    Column("tool", Text, primary_key=True),
    Column("bucket", SmallInteger, primary_key=True),  # floor(4 * log2(ms + 1))
    Column("runs", BigInteger, nullable=False),
)
install_days = Table(
    "install_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("install_id", Text, primary_key=True),
    Column("hours", Integer, nullable=False),  # bit h: active in UTC hour h of the day
)
user_days = Table(
    "user_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("username", Text, primary_key=True),
)

# --- central-only tables ------------------------------------------------------------------------
central_meta = Table(
    "central_meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)
credentials = Table(
    "credentials",
    metadata,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    _ts("updated"),
)
enrollments = Table(
    "enrollments",
    metadata,
    Column("install_id", Text, primary_key=True),  # the install's site id, hex
    Column("username", Text, nullable=False),
    # NULL after an administrator's reset: no token works until the install enrolls again.
    Column("token_hash", Text, unique=True),
    Column("acked_db_version", BigInteger, nullable=False, server_default="0"),
    _ts("enrolled"),
    _ts("last_push"),
    _ts("revoked"),
    _ts("expires"),
    # Set by an administrator's reset: this user may enroll the install without its token.
    Column("rebind_user", Text),
    # Set when its user signed out (POST /api/enroll/unlink): no token works, and any user may
    # enroll the install next. Cleared by that enrollment.
    _ts("unlinked"),
    # The nonce of the machine that enrolled it (see engine/machine.py): a token presented with
    # another nonce comes from a copy of the install (409 copied_database). NULL until the
    # install first presents one.
    Column("machine", Text),
    # Sync health: the latest pull and the cursor it started from (written in batches,
    # central/pull_log.py), and the latest refusal of one of the install's requests.
    _ts("last_pull"),
    Column("pull_cursor", BigInteger),
    Column("last_refusal_code", Text),
    _ts("last_refusal_at"),
    Index("enrollments_username_idx", "username"),
)
# Signed-in administrators and leads: an opaque token (stored hashed) that dies after an idle
# timeout; every use moves ``expires``.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("username", Text, nullable=False),
    _ts("created"),
    Column("expires", DateTime(timezone=True), nullable=False),
    Index("staff_sessions_username_idx", "username"),
)


@dataclass(frozen=True)
class Replicated:
    table: Table
    direction: str  # "up" or "shared"

    @property
    def pk_column(self) -> Column:
        (column,) = self.table.primary_key.columns
        return column

    @cached_property
    def value_columns(self) -> dict[str, Column]:
        return {c.name: c for c in self.table.columns if not c.primary_key}


REPLICATED: dict[str, Replicated] = {
    t.name: Replicated(t, "up") for t in (installs, sessions, operations, events)
} | {t.name: Replicated(t, "shared") for t in (users, glossary_terms, announcements, app_releases)}
SHARED = tuple(name for name, r in REPLICATED.items() if r.direction == "shared")
assert all(f"'{name}'" in SHARED_CLOCKS for name in SHARED), "SHARED_CLOCKS must name them all"
