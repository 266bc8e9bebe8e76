"""Shared fixtures: real PostgreSQL (tests/pg.py), real engine.db files with cr-sqlite, and central
served over real HTTP from a background thread."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from central import accounts
from central.api.app import create_app
from central.db import make_engine, migrate
from central.settings import CentralSettings
from engine.db import Database
from engine.server import BackgroundServer
from tests.pg import fresh_database, test_server

hypothesis_settings.register_profile("dev", max_examples=50, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=300, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ADMIN_PASSWORD = "test-admin-password"

# Tests never read or write the developer's own keyring: central tokens go to the file store
# (children inherit this too). Tests of the keyring store set a backend of their own.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with test_server() as dsn:
        yield dsn


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    with fresh_database(pg_server) as dsn:
        yield dsn


@pytest.fixture
def central_db(pg_dsn: str) -> Iterator[Engine]:
    """A migrated central database with the admin account."""
    engine = make_engine(pg_dsn, pool_size=2)
    migrate(engine)
    with engine.begin() as conn:
        accounts.ensure_admin(conn, ADMIN_PASSWORD)
    yield engine
    engine.dispose()


@pytest.fixture
def central_url(central_db: Engine, pg_dsn: str) -> Iterator[str]:
    """Central's API on 127.0.0.1 over real HTTP."""
    server = BackgroundServer(create_app(CentralSettings(dsn=pg_dsn), central_db))
    yield server.start()
    server.stop()


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator:
    """Factory of engine.db files (real SQLite + cr-sqlite), closed after the test."""
    opened: list[Database] = []

    def make(name: str = "install") -> Database:
        db = Database(tmp_path / name / "engine.db")
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()
