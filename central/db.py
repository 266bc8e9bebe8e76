"""Central's PostgreSQL: the engine factory and schema migrations (Alembic)."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg.types.string import BytesBinaryDumper
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool

from central.errors import CentralError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class InvalidDsn(ValueError):
    """A database URL that is not PostgreSQL's; the message leaves out any password."""


class DatabaseUnavailable(CentralError):
    """Central's database cannot be reached, refuses the user, or does not exist."""

    status = 503
    code = "database_unavailable"


class SchemaTooNew(CentralError):
    """The database was migrated by a newer LocaNext than this one."""

    status = 503
    code = "schema_too_new"


# libpq reports why a connection failed in words only (no SQLSTATE), in the server's FATAL line.
_NO_SUCH_DATABASE = re.compile(r'database ".*" does not exist')
_NO_SLOTS = re.compile(r"too many clients|too many connections|connection slots")
_REFUSED_USER = re.compile(r"password|pg_hba|role .* does not exist|not permitted to log in")


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
    engine = create_engine(
        normalize_dsn(dsn),
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )
    event.listen(engine, "connect", _dump_bytes_in_c)
    return engine


def _dump_bytes_in_c(dbapi_connection: Any, _record: Any) -> None:
    """psycopg dumps bytea by type (the merge's binary COPYs) with its DB-API ``Binary`` dumper,
    written in Python; central sends plain bytes, which its C dumper takes (about 0.1 s less per
    200,000 changes merged)."""
    dbapi_connection.adapters.register_dumper(bytes, BytesBinaryDumper)


# SQLSTATE classes of a database that is gone or full, not of a statement that failed:
# connection exceptions, insufficient resources (too many connections), operator intervention.
_UNAVAILABLE_CLASSES = ("08", "53", "57")


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means PostgreSQL cannot serve central now (no connection, none free,
    shutting down), rather than one statement failing."""
    if isinstance(exc, PoolTimeout):
        return True
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return sqlstate is None or sqlstate[:2] in _UNAVAILABLE_CLASSES


def unavailable(exc: BaseException) -> str:
    """One line saying why PostgreSQL could not serve central, with what to do when it is
    central's own doing (more connections than the server allows)."""
    reason = (
        _message(exc)
        if isinstance(exc, DBAPIError)
        else str(exc).strip().splitlines()[0]
        if str(exc).strip()
        else type(exc).__name__
    )
    if _NO_SLOTS.search(reason):
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
    """Bring the database to the newest schema; each migration runs in one transaction.

    A database at a revision this build does not know (a newer LocaNext's) is left untouched."""
    config = alembic_config(engine)
    scripts = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in scripts.walk_revisions()}
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    unknown = sorted(set(current) - known)
    if unknown:
        raise SchemaTooNew(
            f"central's database is at schema revision {', '.join(unknown)}, written by a newer "
            f"LocaNext (this one knows up to {scripts.get_current_head()}); update LocaNext, or "
            "point it at another database"
        )
    command.upgrade(config, "head")


def ensure_database(dsn: str, *, create: bool) -> bool:
    """Check that the database of ``dsn`` answers; when it does not exist, create it if
    ``create`` and the server lets this user. True when it was created here."""
    url = make_url(normalize_dsn(dsn))
    try:
        _connect(url)
        return False
    except DBAPIError as exc:
        if not _NO_SUCH_DATABASE.search(str(exc.orig)):
            raise DatabaseUnavailable(_why(exc, url)) from None
    missing = f"database {url.database!r} does not exist on {_server(url)}"
    if not create:
        raise DatabaseUnavailable(f"{missing}; `locanext central` with this DSN creates it")
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as conn:
            name = conn.dialect.identifier_preparer.quote(url.database or "")
            conn.execute(text(f"CREATE DATABASE {name}"))
    except DBAPIError as exc:
        raise DatabaseUnavailable(
            f"{missing} and user {url.username!r} cannot create it ({_message(exc)}); create it "
            f"with: createdb -h {url.host or 'localhost'} -p {url.port or 5432} "
            f"-O {url.username} {url.database}"
        ) from None
    finally:
        admin.dispose()
    log.info("created database %s on %s", url.database, _server(url))
    return True


def _connect(url: URL) -> None:
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect():
            pass
    finally:
        probe.dispose()


def _server(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def _message(exc: DBAPIError) -> str:
    """PostgreSQL's own reason, without psycopg's "connection to server at ... failed:"."""
    lines = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
    return lines[0].rsplit("failed: ", 1)[-1].replace("FATAL:  ", "").strip()


def _why(exc: DBAPIError, url: URL) -> str:
    if _NO_SLOTS.search(_message(exc)):
        return unavailable(exc)
    if "FATAL:" not in str(exc.orig):
        return (
            f"cannot connect to PostgreSQL at {_server(url)} ({_message(exc)}); is it running "
            "there? check the DSN's host and port"
        )
    if _REFUSED_USER.search(_message(exc)):
        return (
            f"PostgreSQL at {_server(url)} refused user {url.username!r} ({_message(exc)}); "
            "check the user and password in the DSN"
        )
    return f"PostgreSQL at {_server(url)}: {_message(exc)}"


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
