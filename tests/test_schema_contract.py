"""The engine's replicated tables and central's mirror describe one contract; so do central's
Alembic migrations and its table definitions."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import BigInteger, Boolean, DateTime, Double, Engine, Text
from sqlalchemy.dialects.postgresql import JSONB

from central import schema_policy
from central.tables import REPLICATED, metadata
from engine import migrations, schema

# Which PostgreSQL column types may hold each SQLite column type of the engine.
COMPATIBLE = {
    "TEXT": (Text, DateTime, JSONB),
    "INTEGER": (BigInteger, Boolean),
    "REAL": (Double,),
    "ANY": (Double, Text),
}


def test_engine_and_mirror_have_the_same_tables_and_columns(make_db) -> None:
    db = make_db()
    assert set(REPLICATED) == set(schema.REPLICATED_TABLES)
    for name, spec in REPLICATED.items():
        with db.read() as conn:
            info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        engine_columns = {row[1]: row[2] for row in info}
        mirror_columns = {c.name: c.type for c in spec.table.columns}
        assert engine_columns.keys() == mirror_columns.keys(), name
        for column, sqlite_type in engine_columns.items():
            assert isinstance(mirror_columns[column], COMPATIBLE[sqlite_type]), (name, column)
        assert [r[1] for r in info if r[5]] == [spec.pk_column.name]
        assert (spec.direction == "shared") == (name in schema.SHARED_TABLES)


def test_engine_and_central_number_the_replicated_schema_alike() -> None:
    # Local-only engine migrations (sync_state's columns) must not move the number pushes carry.
    assert migrations.SCHEMA_VERSION == schema_policy.SCHEMA_VERSION


def test_migrations_build_exactly_the_declared_tables(central_db: Engine) -> None:
    with central_db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
