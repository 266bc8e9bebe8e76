"""Central's PostgreSQL: the engine factory and schema migrations (Alembic)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_dsn(dsn: str) -> str:
    """Accept libpq-style ``postgresql://`` URLs and use the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {dsn.split('@')[-1]!r}")


def make_engine(dsn: str, *, pool_size: int = 5) -> Engine:
    # Central's statements are short; on staging tables without statistics their estimates can
    # look large enough for PostgreSQL to JIT-compile them, which costs more than running them.
    return create_engine(
        normalize_dsn(dsn),
        pool_size=pool_size,
        pool_pre_ping=True,
        connect_args={"options": "-c jit=off"},
    )


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema; each migration runs in one transaction."""
    command.upgrade(alembic_config(engine), "head")
