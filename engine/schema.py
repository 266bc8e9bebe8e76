"""The tables of engine.db.

Replicated tables are cr-sqlite CRRs, so they follow its rules (ARCHITECTURE.md, "Replicated
tables"): text primary key, no UNIQUE index besides it, no checked foreign key, a DEFAULT on every
NOT NULL column, STRICT. Their column list is the contract with central's mirror
(central/tables.py); tests/test_schema_contract.py compares them.

Direction: "up" tables flow install -> central only; "shared" tables flow both ways.
"""

from __future__ import annotations

UP_TABLES = ("installs", "sessions", "operations", "events")
SHARED_TABLES = ("users", "glossary_terms", "announcements", "app_releases")
REPLICATED_TABLES = UP_TABLES + SHARED_TABLES

REPLICATED_DDL = {
    "installs": """
        CREATE TABLE installs (
            id TEXT NOT NULL PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            os TEXT NOT NULL DEFAULT '',
            app_version TEXT NOT NULL DEFAULT '',
            first_seen TEXT,
            last_seen TEXT
        ) STRICT""",
    "sessions": """
        CREATE TABLE sessions (
            id TEXT NOT NULL PRIMARY KEY,
            install_id TEXT,
            username TEXT,
            started TEXT,
            ended TEXT,
            end_reason TEXT
        ) STRICT""",
    "operations": """
        CREATE TABLE operations (
            id TEXT NOT NULL PRIMARY KEY,
            install_id TEXT,
            username TEXT,
            tool TEXT NOT NULL DEFAULT '',
            function TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'running',
            started TEXT,
            finished TEXT,
            duration REAL,
            rows_in INTEGER,
            rows_out INTEGER,
            input_files TEXT,
            output_files TEXT,
            parameters TEXT,
            error TEXT
        ) STRICT""",
    "events": """
        CREATE TABLE events (
            id TEXT NOT NULL PRIMARY KEY,
            install_id TEXT,
            time TEXT,
            level TEXT NOT NULL DEFAULT 'info',
            component TEXT NOT NULL DEFAULT '',
            message TEXT NOT NULL DEFAULT '',
            data TEXT
        ) STRICT""",
    "users": """
        CREATE TABLE users (
            username TEXT NOT NULL PRIMARY KEY,
            display_name TEXT NOT NULL DEFAULT '',
            team TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT 'translator',
            active INTEGER NOT NULL DEFAULT 1
        ) STRICT""",
    "glossary_terms": """
        CREATE TABLE glossary_terms (
            id TEXT NOT NULL PRIMARY KEY,
            source TEXT NOT NULL DEFAULT '',
            translation TEXT NOT NULL DEFAULT '',
            game TEXT NOT NULL DEFAULT '',
            language TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        ) STRICT""",
    "announcements": """
        CREATE TABLE announcements (
            id TEXT NOT NULL PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            level TEXT NOT NULL DEFAULT 'info',
            created TEXT,
            expires TEXT
        ) STRICT""",
    "app_releases": """
        CREATE TABLE app_releases (
            version TEXT NOT NULL PRIMARY KEY,
            required INTEGER NOT NULL DEFAULT 0,
            notes TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            released TEXT
        ) STRICT""",
}

# Added by migration 2: a metric of the event (a duration, a count, a size, a label...). ANY keeps
# whatever SQLite type it was written with; central keeps that exact value in its clocks.
EVENT_VALUE_DDL = "value ANY"

# Local-only tables: never CRRs, never leave this PC.
LOCAL_DDL = (
    # Key/value settings of this install, including its link to central (url, token).
    """CREATE TABLE settings (key TEXT NOT NULL PRIMARY KEY, value TEXT) STRICT""",
    # One row: the replicator's watermarks and the last sync outcome, for the status bar.
    """CREATE TABLE sync_state (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
            acked_db_version INTEGER NOT NULL DEFAULT 0,
            pull_cursor INTEGER NOT NULL DEFAULT 0,
            last_attempt TEXT,
            last_success TEXT,
            last_error TEXT,
            online INTEGER NOT NULL DEFAULT 0
        ) STRICT""",
    "INSERT INTO sync_state (id) VALUES (1)",
)

# Added by migration 3: the last failure as data (engine.sync_state.FailureKind and central's
# code; last_error keeps the detail). An error recorded before has no kind: it is cleared, and
# the next round records it again.
SYNC_FAILURE_DDL = (
    "ALTER TABLE sync_state ADD COLUMN last_error_kind TEXT",
    "ALTER TABLE sync_state ADD COLUMN last_error_code TEXT",
    "UPDATE sync_state SET last_error = NULL",
)

# Added by migration 4 (the desktop app): local tables and an index, no replicated column.
DESKTOP_DDL = (
    # Announcements this install's user has read (read state never leaves this PC).
    """CREATE TABLE announcement_reads (
            id TEXT NOT NULL PRIMARY KEY,
            read_at TEXT NOT NULL
        ) STRICT""",
    # This install's own last write to each glossary cell: the col_version it wrote and the
    # value. When that cell later holds another site's value at the same col_version, both were
    # written from the same starting version without seeing each other (engine.glossary).
    """CREATE TABLE glossary_edits (
            term_id TEXT NOT NULL,
            cid TEXT NOT NULL,
            col_version INTEGER NOT NULL,
            db_version INTEGER NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (term_id, cid)
        ) STRICT""",
    # The glossary page filters by game and language and sorts by source.
    "CREATE INDEX glossary_terms_by_game ON glossary_terms (game, language, source)",
)

# Added by migration 5: the sync log the app shows, one row per round, or per run of rounds that
# ended alike (nothing to send or fetch, or the same failure): ``rounds`` counts them, ``started``
# is the first one's start and ``ended`` the latest one's end. Local-only: the newest 50 rows.
SYNC_LOG_DDL = """CREATE TABLE sync_log (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        ended TEXT NOT NULL,
        rounds INTEGER NOT NULL DEFAULT 1,
        duration REAL NOT NULL DEFAULT 0,
        pushed INTEGER,
        pulled INTEGER,
        error_kind TEXT,
        error_code TEXT,
        error TEXT
    ) STRICT"""
