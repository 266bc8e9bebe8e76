"""Running central: find or start its PostgreSQL, migrate, bootstrap the admin, serve HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import uvicorn
from sqlalchemy import Engine

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
    engine = make_engine(dsn)
    migrate(engine)
    if not settings.dsn:  # the admin console reads the private cluster as the read-only role
        PrivateCluster(settings.cluster_dir).provision_reader()
    with engine.begin() as conn:
        generated = accounts.ensure_admin(conn, settings.admin_password)
    return Prepared(engine, generated if not settings.admin_password else None)


class GracefulServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn re-raises a captured SIGTERM after shutting down, which would end the process
        # before the private PostgreSQL is stopped; a plain graceful return is what we want.
        self.force_exit = self.should_exit
        self.should_exit = True


def serve(settings: CentralSettings, engine: Engine) -> None:
    """Serve until SIGINT/SIGTERM, then return normally (a second signal forces the exit)."""
    config = uvicorn.Config(
        create_app(settings, engine),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    GracefulServer(config).run()
