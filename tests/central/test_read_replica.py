"""Pulls and the admin console on a real hot standby (`pg_basebackup -R` of a private primary,
streaming): a pull served by a standby that lags never moves an install's cursor past a change
it has not shown, and shows it once the standby has it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from central import accounts
from central.admin_client import session_headers
from central.api.app import create_app
from central.db import make_engine, migrate
from central.pgcluster import PrivateCluster
from central.settings import CentralSettings
from engine.server import BackgroundServer
from replicator import link
from replicator.loop import sync_once
from tests.central.test_sync_api import _create_user
from tests.conftest import ADMIN_PASSWORD
from tests.waiting import wait_for
from web_admin.app import create_app as create_console
from web_admin.live import MergeSignal

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _libpq(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def clusters() -> Iterator[tuple[str, str]]:
    """(primary DSN, standby DSN), both private clusters on this machine."""
    # Under /tmp and 0755 so the postgres user can reach it when the tests run as root.
    tmp = Path(tempfile.mkdtemp(prefix="locanext-replica-", dir="/tmp"))
    tmp.chmod(0o755)
    primary = PrivateCluster(tmp / "primary")
    standby: PrivateCluster | None = None
    try:
        primary_dsn = primary.start()
        engine = make_engine(primary_dsn, pool_size=2)
        migrate(engine)
        with engine.begin() as conn:
            accounts.ensure_admin(conn, ADMIN_PASSWORD)
        engine.dispose()
        standby = primary.replicate(tmp / "standby")
        yield primary_dsn, standby.start()
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _replay(standby_dsn: str, action: str) -> None:
    with psycopg.connect(_libpq(standby_dsn), autocommit=True) as conn:
        conn.execute(f"SELECT pg_wal_replay_{action}()")


def _standby_has(standby_dsn: str, term: str) -> bool:
    with psycopg.connect(_libpq(standby_dsn), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM glossary_terms WHERE id = %s", (term,)).fetchone()
    return row is not None


def _cursor(db) -> int:
    with db.read() as conn:
        return conn.execute("SELECT pull_cursor FROM sync_state WHERE id = 1").fetchone()[0]


def test_pulls_and_console_on_a_lagging_standby_skip_nothing(
    clusters: tuple[str, str], make_db
) -> None:
    primary_dsn, standby_dsn = clusters
    engine: Engine = make_engine(primary_dsn, pool_size=4)
    replica: Engine = make_engine(standby_dsn, pool_size=4)
    settings = CentralSettings(dsn=primary_dsn, read_dsn=standby_dsn)
    server = BackgroundServer(create_app(settings, engine, read_engine=replica))
    consoles: list[BackgroundServer] = []
    try:
        url = server.start()
        consoles.append(BackgroundServer(create_console(replica, url)))
        console_url = consoles[0].start()
        with psycopg.connect(_libpq(standby_dsn), autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        _create_user(url, "mina", "mina-password")
        writer, reader = make_db("writer"), make_db("reader")
        for db in (writer, reader):
            link.enroll(db, url, "mina", "mina-password")
        with writer.write() as conn:
            conn.execute("INSERT INTO glossary_terms (id, translation) VALUES ('t1', 'sword')")
        sync_once(writer)
        wait_for(lambda: _standby_has(standby_dsn, "t1"), timeout=60, what="t1 on the standby")
        sync_once(reader)
        first = _cursor(reader)

        _replay(standby_dsn, "pause")  # the standby lags from here on
        with writer.write() as conn:
            conn.execute("INSERT INTO glossary_terms (id, translation) VALUES ('t2', 'shield')")
        with writer.write() as conn:
            conn.execute("UPDATE glossary_terms SET translation = 'blade' WHERE id = 't1'")
        sync_once(writer)  # merged on the primary
        sync_once(reader)  # pulled from the standby, which has neither change yet
        with reader.read() as conn:
            held = dict(conn.execute("SELECT id, translation FROM glossary_terms").fetchall())
        assert held == {"t1": "sword"}
        assert _cursor(reader) == first  # not moved past what the standby lacks

        _replay(standby_dsn, "resume")
        wait_for(lambda: _standby_has(standby_dsn, "t2"), timeout=60, what="t2 on the standby")
        sync_once(reader)
        with reader.read() as conn:
            held = dict(conn.execute("SELECT id, translation FROM glossary_terms").fetchall())
        assert held == {"t1": "blade", "t2": "shield"}
        assert _cursor(reader) > first

        # the console reads the standby too
        with writer.write() as conn:
            conn.execute(
                "INSERT INTO operations (id, install_id, username, tool, status)"
                " VALUES ('op1', ?, 'mina', 'xlsx_transfer', 'succeeded')",
                (writer.install_id,),
            )
        sync_once(writer)
        staff = session_headers(url, "admin", ADMIN_PASSWORD)
        wait_for(
            lambda: httpx.get(f"{console_url}/api/operations", headers=staff).json()["rows"],
            until=lambda ops: any(op["id"] == "op1" for op in ops),
            timeout=60,
            what="the operation in the console served by the standby",
        )
    finally:
        for console in consoles:
            console.stop()
        server.stop()
        engine.dispose()
        replica.dispose()


def test_a_console_on_a_standby_is_woken_by_merges_on_the_primary(
    clusters: tuple[str, str],
) -> None:
    # A standby gets no NOTIFY (and refuses LISTEN): the Live pages of a console reading it must
    # still hear of each merge once the standby has it.
    primary_dsn, standby_dsn = clusters
    replica: Engine = make_engine(standby_dsn, pool_size=1)
    wakes: list[float] = []

    async def follow() -> tuple[int, int]:
        signal = MergeSignal(replica)
        signal.subscribe(lambda: wakes.append(time.monotonic()))
        signal.start()
        try:
            await asyncio.sleep(2)  # idle: at most a stray WAL record of the server's own
            idle = len(wakes)
            with psycopg.connect(_libpq(primary_dsn), autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO operations (id, install_id, tool) VALUES ('op', 'i', 'text_stats')"
                )
            for _ in range(100):
                if len(wakes) > idle:
                    break
                await asyncio.sleep(0.1)
            return idle, len(wakes)
        finally:
            await asyncio.to_thread(signal.stop)

    try:
        # A loop of its own, in a thread: another test's loop may still run on this thread.
        with ThreadPoolExecutor(1) as pool:
            idle, after = pool.submit(asyncio.run, follow()).result()
    finally:
        replica.dispose()
    assert idle <= 1, f"{idle} wakes in 2 idle seconds"
    assert after > idle, "a commit on the primary did not wake the console on the standby"
