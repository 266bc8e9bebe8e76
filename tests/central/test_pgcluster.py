"""The private PostgreSQL cluster: start, share, stop, restart, survive a crash, fail clearly."""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from central.db import InvalidDsn, normalize_dsn
from central.errors import CentralError
from central.pgcluster import PASSWORD_FILE, ClusterError, PrivateCluster
from central.settings import DEFAULT_SERVER_DSN
from tests import pg
from tests.waiting import wait_for


def _query(dsn: str, sql: str) -> object:
    engine = create_engine(dsn, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def _table_names(dsn: str) -> list[str]:
    engine = create_engine(dsn, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return inspect(conn).get_table_names()
    finally:
        engine.dispose()


def _postmaster_pid(directory: Path) -> int | None:
    try:
        return int((directory / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        # a zombie nobody reaps is as dead as it gets
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except (ProcessLookupError, FileNotFoundError):
        return True


def _wait_gone(pid: int, timeout: float = 10) -> None:
    wait_for(lambda: _gone(pid), timeout=timeout, what=f"process {pid} to exit")


@pytest.fixture
def cluster_dir() -> Iterator[Path]:
    # Under /tmp and 0755 so the postgres user can reach it when the tests run as root.
    tmp = Path(tempfile.mkdtemp(prefix="locanext-pgtest-", dir="/tmp"))
    tmp.chmod(0o755)
    directory = tmp / "pg"
    try:
        yield directory
    finally:
        pid = _postmaster_pid(directory)
        if pid is not None and PrivateCluster(directory).dsn() is not None:
            os.kill(pid, signal.SIGQUIT)  # a test failed half-way; immediate shutdown
            _wait_gone(pid)
        shutil.rmtree(tmp, ignore_errors=True)


def test_lifecycle_share_stop_and_restart(cluster_dir: Path) -> None:
    owner = PrivateCluster(cluster_dir)
    assert owner.dsn() is None
    dsn = owner.start()
    assert re.fullmatch(r"postgresql\+psycopg://postgres:[\w-]{40,}@127\.0\.0\.1:\d+/locanext", dsn)
    assert "PostgreSQL" in str(_query(dsn, "SELECT version()"))
    _query(dsn, "CREATE TABLE kept (id integer PRIMARY KEY)")
    assert (cluster_dir / "postgres.log").exists()

    # The admin process: finds the cluster, and its start() shares instead of launching.
    other = PrivateCluster(cluster_dir)
    assert other.dsn() == dsn
    assert other.start() == dsn
    other.stop()
    assert owner.dsn() == dsn
    assert _query(dsn, "SELECT 1") == 1

    owner.stop()
    assert owner.dsn() is None
    assert other.dsn() is None
    owner.stop()  # idempotent

    with PrivateCluster(cluster_dir) as again:
        assert again.port is not None
        dsn2 = again.dsn()
        assert dsn2 is not None
        assert "kept" in _table_names(dsn2)
    assert PrivateCluster(cluster_dir).dsn() is None


def _sign_in(port: int, password: str | None) -> None:
    psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", password=password, dbname="postgres"
    ).close()


def _refused_without_the_password(cluster: PrivateCluster) -> None:
    assert cluster.port is not None
    for password in (None, "guessed"):  # what any other local user can try
        with pytest.raises(psycopg.OperationalError, match="password"):
            _sign_in(cluster.port, password)


def test_connections_without_the_password_are_refused(cluster_dir: Path) -> None:
    with PrivateCluster(cluster_dir) as cluster:
        _refused_without_the_password(cluster)
        secret = cluster_dir / PASSWORD_FILE
        assert secret.stat().st_mode & 0o777 == 0o600
        assert cluster_dir.stat().st_mode & 0o077 == 0  # and the directory is the owner's
        assert cluster.port is not None
        _sign_in(cluster.port, secret.read_text().strip())
        assert not list(cluster_dir.glob(".s.PGSQL.*"))  # no Unix socket either
        assert "trust" not in "".join(
            line.split("#")[0] for line in (cluster_dir / "pg_hba.conf").read_text().splitlines()
        )


def test_a_cluster_that_trusted_everyone_gets_a_password(cluster_dir: Path) -> None:
    """A cluster made by an earlier LocaNext (initdb --auth=trust, no password file)."""
    with PrivateCluster(cluster_dir) as cluster:
        dsn = cluster.dsn()
        assert dsn is not None
        _query(dsn, "CREATE TABLE kept (id integer PRIMARY KEY)")
    hba = cluster_dir / "pg_hba.conf"
    hba.write_text(hba.read_text().replace("scram-sha-256", "trust"))
    (cluster_dir / PASSWORD_FILE).unlink()
    with PrivateCluster(cluster_dir) as cluster:
        _refused_without_the_password(cluster)
        dsn = cluster.dsn()
        assert dsn is not None and "kept" in _table_names(dsn)
    assert (cluster_dir / PASSWORD_FILE).stat().st_mode & 0o777 == 0o600


def test_a_lost_password_file_is_a_clear_error(cluster_dir: Path) -> None:
    PrivateCluster(cluster_dir).start()
    (cluster_dir / PASSWORD_FILE).unlink()
    with pytest.raises(ClusterError, match=f"{PASSWORD_FILE} is missing"):
        PrivateCluster(cluster_dir).start()


def test_stale_pid_file_does_not_block_start(cluster_dir: Path) -> None:
    PrivateCluster(cluster_dir).start()
    pid = _postmaster_pid(cluster_dir)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    assert (cluster_dir / "postmaster.pid").exists()
    assert PrivateCluster(cluster_dir).dsn() is None

    with PrivateCluster(cluster_dir) as cluster:
        dsn = cluster.dsn()
        assert dsn is not None
        assert _query(dsn, "SELECT 1") == 1
        assert _postmaster_pid(cluster_dir) != pid


def test_database_name_is_created(cluster_dir: Path) -> None:
    with PrivateCluster(cluster_dir, database="other db") as cluster:
        dsn = cluster.dsn()
        assert dsn is not None and dsn.endswith("/other%20db")
        assert _query(dsn, "SELECT current_database()") == "other db"


def test_directory_postgres_cannot_reach_is_a_clear_error() -> None:
    # The suite runs as root (as CI does): that is when the postgres-user hand-off happens.
    assert os.geteuid() == 0
    locked = Path(tempfile.mkdtemp(prefix="locanext-locked-", dir="/tmp"))  # 0700, root's
    try:
        target = locked / "data" / "pg"
        with pytest.raises(ClusterError) as err:
            PrivateCluster(target).start()
        message = str(err.value)
        # central's error pattern: a status and a stable code, like every other refusal
        assert isinstance(err.value, CentralError)
        assert (err.value.status, err.value.code) == (503, "database_unavailable")
        assert str(target) in message
        assert str(locked) in message
        assert "/var/lib/locanext" in message
        assert not (locked / "data").exists()  # refused before creating anything
    finally:
        shutil.rmtree(locked)


def test_missing_cluster_has_no_dsn(tmp_path: Path) -> None:
    assert PrivateCluster(tmp_path / "nothing").dsn() is None


def test_fresh_database_on_test_server() -> None:
    with pg.test_server() as server:
        assert server.startswith("postgresql+psycopg://")
        with pg.fresh_database(server) as dsn:
            name = dsn.rsplit("/", 1)[1]
            assert name.startswith("locanext_test_")
            assert _query(dsn, "SELECT current_database()") == name
            _query(dsn, "CREATE TABLE t (id integer)")
        gone = f"SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        assert _query(server, gone) == 0


@pytest.mark.parametrize(
    "given",
    [
        DEFAULT_SERVER_DSN,
        "postgres://postgres@127.0.0.1:5432/postgres",
        "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
    ],
)
def test_normalise_dsn(given: str) -> None:
    expected = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    assert normalize_dsn(given) == expected
    assert normalize_dsn(expected) == expected


@pytest.mark.parametrize(
    "given", ["mysql://root:s3cret@db/locanext", "sqlite:///central.db", "s3cret", ""]
)
def test_a_url_that_is_not_postgresql_is_refused_without_its_password(given: str) -> None:
    with pytest.raises(InvalidDsn, match="not a PostgreSQL URL") as refused:
        normalize_dsn(given)
    assert "s3cret" not in str(refused.value)
