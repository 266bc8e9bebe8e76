"""Running central: take its port, find or start its PostgreSQL (creating the database a DSN
names when the server allows), migrate, bootstrap the admin, serve HTTP on the port taken."""

from __future__ import annotations

import errno
import gc
import logging
import os
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine
from uvicorn.supervisors import Multiprocess

from central import accounts, epoch
from central.api.app import create_app
from central.db import ensure_database, make_engine, migrate
from central.errors import CentralError
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


class CannotListen(CentralError):
    """The host and port to serve on cannot be taken."""

    code = "cannot_listen"


_WHY_NOT = {
    errno.EADDRINUSE: "the port is in use (another central or server?); stop it or pick "
    "another --port",
    errno.EACCES: "not allowed (ports below 1024 need privileges); pick a port above 1023",
    errno.EADDRNOTAVAIL: "that address is not one of this machine's; check --host",
}


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` for uvicorn to serve on. Bound before anything else
    starts, so that a port in use fails at once and the address printed is one being served."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise CannotListen(f"cannot listen on {host}: {exc.strerror}; check --host") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        reason = _WHY_NOT.get(exc.errno or 0, exc.strerror)
        raise CannotListen(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


class BadTls(CentralError):
    """The certificate or key given for HTTPS cannot be used."""

    code = "bad_tls"


def check_tls(settings: CentralSettings) -> None:
    """Load the certificate and key as uvicorn will, so that a wrong file fails before anything
    starts (uvicorn would fail only once the database is up)."""
    if settings.tls_cert is None:
        return
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(settings.tls_cert, settings.tls_key)
    except (ssl.SSLError, OSError) as exc:
        raise BadTls(
            f"cannot serve HTTPS with {settings.tls_cert} and {settings.tls_key} "
            f"({getattr(exc, 'reason', None) or exc}): give --tls-cert a PEM certificate chain "
            "and --tls-key its private key"
        ) from None


@dataclass
class Prepared:
    engine: Engine
    generated_admin_password: str | None
    created_database: bool = False


def prepare(settings: CentralSettings, dsn: str, *, restored: bool = False) -> Prepared:
    """Migrate and bootstrap; ``restored``: the database was just restored from a backup, so
    central takes a new epoch (installs then send and pull everything again)."""
    created = ensure_database(dsn, create=True)
    engine = make_engine(dsn, pool_size=settings.pool_size)
    migrate(engine)
    if not settings.dsn:  # the admin console reads the private cluster as the read-only role
        PrivateCluster(settings.cluster_dir).provision_reader()
    with engine.begin() as conn:
        generated = accounts.ensure_admin(conn, settings.admin_password)
        if restored:
            epoch.renew(conn)
    return Prepared(engine, generated if not settings.admin_password else None, created)


class GracefulServer(uvicorn.Server):
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
    app = create_app(settings, engine, read_engine=read_engine(settings))
    freeze_startup_objects()
    return app


def freeze_startup_objects() -> None:
    """Leave what startup made (modules, the app and its schemas, the console: about a million
    objects) out of the garbage collector's full passes. Each pass stops every thread of the
    process, the merging thread holding the merge lock included: measured at 1,000 installs,
    55-170 ms every 3 s in each worker, the largest part of the push p99."""
    gc.collect()
    gc.freeze()


def read_engine(settings: CentralSettings) -> Engine | None:
    """The replica's engine that serves pulls, when there is one."""
    if settings.read_dsn is None:
        return None
    return make_engine(settings.read_dsn, pool_size=settings.pool_size)


def _serve_workers(settings: CentralSettings, dsn: str, sock: socket.socket) -> None:
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
    Multiprocess(config, sockets=[sock]).run()


def serve(settings: CentralSettings, engine: Engine, sock: socket.socket, dsn: str) -> None:
    """Serve on ``sock`` (from :func:`listen`) until SIGINT/SIGTERM, then return normally (a
    second signal forces the exit); with ``settings.workers`` > 1, in that many processes."""
    if settings.workers > 1:
        engine.dispose()  # each worker has its own pool
        _serve_workers(settings, dsn, sock)
        return
    config = uvicorn.Config(
        create_app(settings, engine, read_engine=read_engine(settings)),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    freeze_startup_objects()
    GracefulServer(config).run(sockets=[sock])
