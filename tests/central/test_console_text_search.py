"""The console's free-text filters (``q`` on Activity and Logs), on real PostgreSQL as the
read-only role: a case-insensitive substring where %, _ and \\ are plain characters, served by
the trigram indexes of migration 0012."""

from __future__ import annotations

import secrets

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from central.db import alembic_config, make_engine, migrate
from web_admin import listing

MESSAGES = {
    "ev-pct": "coverage 100% of strings",
    "ev-1000": "coverage 1000 of strings",
    "ev-under": "missing key_id in sheet",
    "ev-keyXid": "missing keyXid in sheet",
    "ev-slash": r"path C:\temp\out.xlsx not found",
    "ev-plain": "path C:/temp/out.xlsx not found",
}
ERRORS = {"op-pct": "quota 50% used", "op-other": "quota 500 used", "op-none": None}


def _seed(engine: Engine) -> None:
    with engine.begin() as conn:
        for n, (id_, message) in enumerate(MESSAGES.items()):
            conn.execute(
                text(
                    "INSERT INTO events (id, time, level, message)"
                    " VALUES (:id, now() - :n * interval '1 minute', 'info', :message)"
                ),
                {"id": id_, "n": n, "message": message},
            )
        for n, (id_, error) in enumerate(ERRORS.items()):
            conn.execute(
                text(
                    "INSERT INTO operations (id, started, status, error)"
                    " VALUES (:id, now() - :n * interval '1 minute', 'failed', :error)"
                ),
                {"id": id_, "n": n, "error": error},
            )


def _found(engine: Engine, lst: listing.Listing, q: str) -> set[str]:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE locanext_reader"))
        rows = listing.page(conn, listing.parse(lst, {"q": q})).rows
    return {row["id"] for row in rows}


def test_free_text_matches_wildcards_literally_and_ignores_case(central_db: Engine) -> None:
    _seed(central_db)
    assert _found(central_db, listing.EVENTS, "100%") == {"ev-pct"}
    assert _found(central_db, listing.EVENTS, "KEY_ID") == {"ev-under"}
    assert _found(central_db, listing.EVENTS, "C:\\temp") == {"ev-slash"}
    assert _found(central_db, listing.EVENTS, "c:/TEMP") == {"ev-plain"}
    assert _found(central_db, listing.EVENTS, "of strings") == {"ev-pct", "ev-1000"}
    assert _found(central_db, listing.OPERATIONS, "50%") == {"op-pct"}
    assert _found(central_db, listing.OPERATIONS, "%") == {"op-pct"}


def test_free_text_is_served_by_a_trigram_index(central_db: Engine) -> None:
    _seed(central_db)
    for lst, index in (
        (listing.EVENTS, "events_message_trgm_idx"),
        (listing.OPERATIONS, "operations_error_trgm_idx"),
    ):
        stmt = listing.statement(listing.parse(lst, {"q": "coverage 100%"}), paged=True)
        with central_db.connect() as conn, conn.begin():
            conn.execute(text("SET LOCAL ROLE locanext_reader"))
            # Only bitmap scans left: a btree cannot serve a substring, a trigram index can.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            conn.execute(text("SET LOCAL enable_indexscan = off"))
            compiled = stmt.compile(conn)
            explained = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
            plan = "\n".join(explained.scalars())
        assert f"Bitmap Index Scan on {index}" in plan, plan


def test_a_role_that_may_not_install_pg_trgm_is_told_what_to_run(pg_dsn: str) -> None:
    owner = make_engine(pg_dsn, pool_size=1)
    command.upgrade(alembic_config(owner), "0011")
    role = f"locanext_probe_{secrets.token_hex(4)}"  # no CREATE on the database
    password = secrets.token_hex(16)
    with owner.begin() as conn:
        # a password too: the private cluster asks every connection for one
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
        conn.execute(text(f"GRANT SELECT ON alembic_version TO {role}"))
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION pg_advisory_xact_lock(bigint) TO {role}"))
    probe = make_engine(make_url(pg_dsn).set(username=role, password=password), pool_size=1)
    try:
        with pytest.raises(Exception) as refused:
            migrate(probe)
        assert type(refused.value).__name__ == "TrigramsUnavailable"
        assert refused.value.code == "extension_unavailable"
        assert "CREATE EXTENSION pg_trgm" in str(refused.value)
        with owner.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0011"
            trgm = "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"
            assert conn.execute(text(trgm)).scalar() == 0
    finally:
        probe.dispose()
        with owner.begin() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        owner.dispose()
