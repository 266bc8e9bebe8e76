"""`locanext central --workers N`: N stateless processes on one port and one PostgreSQL serve the
sync protocol together; and when PostgreSQL refuses central's connections, requests get a 503
`database_unavailable` and the command line says why in one line."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from central.admin_client import session_headers
from central.api.app import create_app
from central.db import make_engine, normalize_dsn
from central.settings import CentralSettings
from engine.server import BackgroundServer
from replicator import link
from replicator.loop import sync_once
from shell.processes import Child, free_port, run

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_PASSWORD = "workers-admin-password"


def _workers(child: Child) -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process(child.process.pid).children(recursive=True)
        if "multiprocessing" in " ".join(p.cmdline()) and "spawn_main" in " ".join(p.cmdline())
    ]


def test_two_workers_serve_installs_on_one_port(pg_dsn: str, tmp_path: Path, make_db) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = Child(
        "central",
        ["central", "--dsn", pg_dsn, "--port", str(port), "--workers", "2", "--pool-size", "4"],
        tmp_path / "central.log",
        {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    try:
        child.wait_http(f"{url}/api/health", timeout=120)
        workers = _workers(child)
        assert len(workers) == 2, child.tail()
        response = httpx.post(
            f"{url}/api/admin/users",
            json={"username": "mina", "password": "mina-password"},
            headers=session_headers(url, "admin", ADMIN_PASSWORD),
        )
        assert response.status_code == 201, response.text
        a, b = make_db("a"), make_db("b")
        for db in (a, b):
            link.enroll(db, url, "mina", "mina-password")
        with a.write() as conn:
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation) VALUES ('t1', '검', 'sword')"
            )
        for _ in range(3):  # several requests each: both workers take some (one listening socket)
            sync_once(a)
            sync_once(b)
        with b.read() as conn:
            assert conn.execute("SELECT translation FROM glossary_terms").fetchall() == [("sword",)]
    finally:
        code = child.stop()
    assert code == 0, child.tail()
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)


@pytest.fixture
def refused_dsn(pg_dsn: str) -> Iterator[str]:
    """The test database through a role PostgreSQL gives no connection (CONNECTION LIMIT 0)."""
    role = f"locanext_refused_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)  # the private cluster asks every connection for one
    admin = create_engine(normalize_dsn(pg_dsn), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0 PASSWORD '{password}'"))
    try:
        yield (
            make_url(pg_dsn)
            .set(username=role, password=password)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


def test_refused_connections_are_a_503_and_one_line(refused_dsn: str) -> None:
    engine = make_engine(refused_dsn, pool_size=1)
    server = BackgroundServer(create_app(CentralSettings(dsn=refused_dsn), engine))
    url = server.start()
    try:
        response = httpx.get(
            f"{url}/api/sync/state", headers={"Authorization": "Bearer lnx_whatever"}
        )
    finally:
        server.stop()
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"
    assert "too many connections" not in response.text  # the reason is for the operator's log

    done = run("central", "--dsn", refused_dsn, "--port", str(free_port()), timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "PostgreSQL refuses more connections" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr
