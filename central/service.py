"""Running central: take its port, find or start its PostgreSQL (creating the database a DSN
names when the server allows), migrate, bootstrap the admin, serve HTTP on the port taken."""

from __future__ import annotations

import errno
import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

import uvicorn
from sqlalchemy import Engine

from central import accounts
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


def prepare(settings: CentralSettings, dsn: str) -> Prepared:
    created = ensure_database(dsn, create=True)
    engine = make_engine(dsn)
    migrate(engine)
    with engine.begin() as conn:
        generated = accounts.ensure_admin(conn, settings.admin_password)
    return Prepared(engine, generated if not settings.admin_password else None, created)


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn re-raises a captured SIGTERM after shutting down, which would end the process
        # before the private PostgreSQL is stopped; a plain graceful return is what we want.
        self.force_exit = self.should_exit
        self.should_exit = True


def serve(settings: CentralSettings, engine: Engine, sock: socket.socket) -> None:
    """Serve on ``sock`` (from :func:`listen`) until SIGINT/SIGTERM, then return normally (a
    second signal forces the exit)."""
    config = uvicorn.Config(
        create_app(settings, engine),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert,
        ssl_keyfile=settings.tls_key,
    )
    _Server(config).run(sockets=[sock])
