"""Alembic environment: runs migrations on the engine handed over by central.db.migrate."""

from alembic import context

from central.tables import metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    # Two centrals starting at once on one database must not both run the migrations.
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7654321)")
    context.configure(
        connection=connection, target_metadata=metadata, transaction_per_migration=False
    )
    context.run_migrations()
