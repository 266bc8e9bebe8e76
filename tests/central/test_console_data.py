"""What the admin console reads from central, on real PostgreSQL: merge notifications at commit,
the read-only role, and the sync-health columns of enrollments."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import psycopg
import pytest
from psycopg import errors
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from engine import sync_state
from engine.operations import OperationLog
from replicator import link
from replicator.loop import sync_once
from tests.central.central_server import Central, serve
from tests.central.test_sync_api import _push, _valid_push


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[Central]:
    with serve(central_db, pg_dsn) as served:
        served.add_user("mina")
        yield served


def _libpq(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def listener(pg_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(_libpq(pg_dsn), autocommit=True) as conn:
        conn.execute("LISTEN locanext_merged")
        yield conn


def _newest_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT max(db_version) FROM crr_clock")).scalar_one()


def test_a_listener_hears_each_merge_after_it_commits(
    central: Central, make_db, listener: psycopg.Connection
) -> None:
    list(listener.notifies(timeout=0.5))  # the fixture's user creation
    db = make_db()
    link.enroll(db, central.url, "mina", "mina-password")
    ops = OperationLog(db)
    ops.finish(ops.start(tool="text_stats", function="count", username="mina"), status="succeeded")
    sync_once(db)
    [merged] = listener.notifies(timeout=30, stop_after=1)
    assert merged.channel == "locanext_merged"
    assert int(merged.payload) == _newest_version(central.engine)
    with central.staff() as admin:  # an administrator's write is a merge too
        admin.post("/api/admin/announcements", json={"title": "Hello"})
    [published] = listener.notifies(timeout=30, stop_after=1)
    assert int(published.payload) == _newest_version(central.engine) > int(merged.payload)


def test_a_refused_push_notifies_nobody(
    central: Central, make_db, listener: psycopg.Connection
) -> None:
    db = make_db()
    token = link.enroll(db, central.url, "mina", "mina-password").token
    list(listener.notifies(timeout=0.5))
    body = _valid_push(db)
    body["changes"][-1]["table"] = "no_such_table"
    assert _push(central.url, token, body).status_code == 400
    assert list(listener.notifies(timeout=2)) == []


def test_enrollments_show_pulls_and_refusals(central: Central, make_db) -> None:
    db = make_db()
    token = link.enroll(db, central.url, "mina", "mina-password").token
    with central.staff() as admin:
        admin.post("/api/admin/announcements", json={"title": "Patch day"})
    sync_once(db)
    with db.read() as conn:
        cursor = sync_state.pull_cursor(conn)
    central.clock.advance(minutes=5)
    pulled_at = central.clock.now
    sync_once(db)
    central.flush_pulls()
    query = text(
        "SELECT last_pull, pull_cursor, last_refusal_code, last_refusal_at FROM enrollments"
    )
    with central.engine.connect() as conn:
        assert conn.execute(query).one() == (pulled_at, cursor, None, None)
        # how many installs pulled the announcement: cursor at or past its version
        pulled = conn.execute(
            text(
                "SELECT count(*) FROM enrollments e WHERE e.pull_cursor >= (SELECT max(db_version)"
                " FROM crr_clock WHERE tbl = 'announcements')"
            )
        ).scalar_one()
    assert pulled == 1
    central.clock.advance(minutes=5)
    refused_at = central.clock.now
    body = _valid_push(db)
    body["changes"][-1]["cid"] = "role"
    body["changes"][-1]["table"] = "users"
    assert _push(central.url, token, body).status_code == 403
    central.clock.advance(minutes=5)
    bad_query = httpx.get(  # refused before the token is checked: not the install's refusal
        f"{central.url}/api/sync/pull?since=-1", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad_query.status_code == 422
    with central.engine.connect() as conn:
        row = conn.execute(query).one()
    assert row == (pulled_at, cursor, "forbidden", refused_at)


def _as_reader(engine: Engine, statement: str) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("SET LOCAL ROLE locanext_reader"))
        conn.execute(text(statement))


READS = [
    "SELECT count(*) FROM operations",
    "SELECT count(*) FROM events",
    "SELECT count(*) FROM users",
    "SELECT count(*) FROM announcements",
    "SELECT count(*) FROM app_releases",
    "SELECT count(*) FROM crr_clock",
    "SELECT count(*) FROM merge_conflicts",
    "SELECT count(*) FROM parked_changes",
    "SELECT install_id, username, acked_db_version, last_push, last_pull, pull_cursor,"
    " last_refusal_code, last_refusal_at, revoked FROM enrollments",
]
REFUSED = [
    "SELECT token_hash FROM enrollments",
    "SELECT * FROM credentials",
    "SELECT * FROM staff_sessions",
    "INSERT INTO operations (id) VALUES ('forged')",
    "UPDATE users SET role = 'admin'",
    "DELETE FROM crr_clock",
    "TRUNCATE merge_conflicts",
    "CREATE TEMP TABLE scratch (x int)",
    "CREATE TABLE scratch (x int)",
    "SELECT pg_advisory_xact_lock(5000792)",  # central's merge lock: it could stall merges
]


def test_the_reader_role_can_only_select(central_db: Engine) -> None:
    for statement in READS:
        _as_reader(central_db, statement)
    for statement in REFUSED:
        with pytest.raises(Exception) as refused:
            _as_reader(central_db, statement)
        assert isinstance(refused.value.orig, errors.InsufficientPrivilege), statement
    with central_db.connect() as conn:
        login = conn.execute(
            text("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'locanext_reader'")
        ).one()
    assert tuple(login) == (True, False)


def test_tables_of_later_migrations_are_readable(central_db: Engine) -> None:
    with central_db.begin() as conn:  # as central's own role, like a migration
        conn.execute(text("CREATE TABLE later_rollup (day date PRIMARY KEY, runs bigint)"))
    _as_reader(central_db, "SELECT count(*) FROM later_rollup")
    with pytest.raises(Exception) as refused:
        _as_reader(central_db, "INSERT INTO later_rollup VALUES (now(), 1)")
    assert isinstance(refused.value.orig, errors.InsufficientPrivilege)
