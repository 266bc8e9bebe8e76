"""Running central: find or start its PostgreSQL, migrate, bootstrap the admin, serve HTTP."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.supervisors import Multiprocess

from central import accounts
from central.api.app import create_app
from central.db import make_engine, migrate
from central.pgcluster import PrivateCluster
from central.settings import CentralSettings

log = logging.getLogger(__name__)


@contextmanager
def database(settings: CentralSettings) -> Iterator[str]:
    """The DSN to use: the configured one, or a private cluster started (and later stopped) here."""
    if settings.dsn:
        yield settings.dsn
        return
    with PrivateCluster(settings.cluster_dir) as cluster:
        dsn = cluster.dsn()
        assert dsn is not None
        yield dsn


@dataclass
class Prepared:
    engine: Engine
    generated_admin_password: str | None


def prepare(settings: CentralSettings, dsn: str) -> Prepared:
    engine = make_engine(dsn, pool_size=settings.pool_size)
    migrate(engine)
    with engine.begin() as conn:
        generated = accounts.ensure_admin(conn, settings.admin_password)
    return Prepared(engine, generated if not settings.admin_password else None)


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn re-raises a captured SIGTERM after shutting down, which would end the process
        # before the private PostgreSQL is stopped; a plain graceful return is what we want.
        self.force_exit = self.should_exit
        self.should_exit = True


def worker_app() -> FastAPI:
    """The app of one of ``--workers`` processes, from the settings the parent put in the
    environment (the database is migrated and bootstrapped by then)."""
    settings = CentralSettings()
    assert settings.dsn is not None
    engine = make_engine(settings.dsn, pool_size=settings.pool_size)
    return create_app(settings, engine, read_engine=read_engine(settings))


def read_engine(settings: CentralSettings) -> Engine | None:
    """The replica's engine that serves pulls, when there is one."""
    if settings.read_dsn is None:
        return None
    return make_engine(settings.read_dsn, pool_size=settings.pool_size)


def _serve_workers(settings: CentralSettings, dsn: str) -> None:
    # Workers are spawned: they read their settings where the parent leaves them, including
    # the database it resolved (a private cluster's address and password).
    for name, value in settings.model_dump(exclude={"admin_password"}).items():
        if value is not None:
            os.environ[f"LOCANEXT_CENTRAL_{name.upper()}"] = str(value)
    os.environ["LOCANEXT_CENTRAL_DSN"] = dsn
    config = uvicorn.Config(
        f"{__name__}:worker_app",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    # The supervisor stops its workers on SIGINT/SIGTERM and returns.
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def serve(settings: CentralSettings, engine: Engine, dsn: str) -> None:
    """Serve until SIGINT/SIGTERM, then return normally (a second signal forces the exit)."""
    if settings.workers > 1:
        engine.dispose()  # each worker has its own pool
        _serve_workers(settings, dsn)
        return
    config = uvicorn.Config(
        create_app(settings, engine, read_engine=read_engine(settings)),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    _Server(config).run()
