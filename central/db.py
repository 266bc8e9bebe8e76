"""Central's PostgreSQL: the engine factory and schema migrations (Alembic)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class InvalidDsn(ValueError):
    """A database URL that is not PostgreSQL's; the message leaves out any password."""


def normalize_dsn(dsn: str) -> str:
    """The one normaliser of PostgreSQL URLs: libpq's ``postgresql://`` and ``postgres://`` and
    any ``postgresql+driver://`` become the psycopg 3 URL SQLAlchemy needs."""
    expected = "expected postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE"
    try:
        url = make_url(dsn)
    except ArgumentError:
        raise InvalidDsn(f"not a PostgreSQL URL; {expected}") from None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        shown = url.render_as_string(hide_password=True)
        raise InvalidDsn(f"not a PostgreSQL URL: {shown!r}; {expected}")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def make_engine(dsn: str, *, pool_size: int = 5) -> Engine:
    """At most ``pool_size`` connections: a request that finds none free waits up to 30 s (then
    503 ``database_unavailable``), so processes x pool_size bounds what central asks of
    PostgreSQL's ``max_connections``."""
    # Central's statements are short; on staging tables without statistics their estimates can
    # look large enough for PostgreSQL to JIT-compile them, which costs more than running them.
    return create_engine(
        normalize_dsn(dsn),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )


def unavailable(exc: BaseException) -> str:
    """One line saying why PostgreSQL could not serve central, with what to do when it is
    central's own doing (more connections than the server allows)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if any(s in reason for s in ("too many clients", "too many connections", "connection slots")):
        return (
            f"PostgreSQL refuses more connections ({reason}): lower --workers or --pool-size, "
            "or raise the server's max_connections"
        )
    if isinstance(exc, PoolTimeout):
        return f"no free database connection in time ({reason}): raise --pool-size"
    return f"PostgreSQL is unavailable: {reason}"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema; each migration runs in one transaction."""
    command.upgrade(alembic_config(engine), "head")


@contextmanager
def scratch_database(server_dsn: str, prefix: str) -> Iterator[str]:
    """Create ``<prefix>_<hex>`` on the server, yield its URL, drop it (and its sessions) after.

    For tests, benchmarks and fuzzing, which each want a database of their own."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    url = make_url(normalize_dsn(server_dsn))
    # NullPool: no pooled connection outlives the block.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
