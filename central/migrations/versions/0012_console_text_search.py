"""Trigram indexes for the admin console's free text (``q``): ``operations.error`` and
``events.message`` in GIN ``gin_trgm_ops``, so a case-insensitive substring (``ILIKE '%...%'``)
reads the rows that contain the text's trigrams instead of the list in time order.

``pg_trgm`` ships with PostgreSQL and is trusted: a role with CREATE on the database (its owner,
for one) installs it. A role without that stops here with the one statement a superuser runs
first; nothing is half done.

Revision ID: 0012
Revises: 0011
"""

from alembic import op
from sqlalchemy import text

from central.errors import CentralError

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXT_COLUMNS = {"operations": "error", "events": "message"}


class TrigramsUnavailable(CentralError):
    """Central's database role may not install pg_trgm (or the server lacks it)."""

    status = 503
    code = "extension_unavailable"


def index_name(table: str) -> str:
    return f"{table}_{TEXT_COLUMNS[table]}_trgm_idx"


def _create_extension() -> str:
    """Install pg_trgm if absent; return the schema its operator classes live in."""
    bind = op.get_bind()
    installed = (
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    )
    schema = bind.execute(text(installed)).scalar()
    if schema is not None:
        return schema
    allowed = bind.execute(
        text(
            "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_trgm')"
            " AND (has_database_privilege(current_database(), 'CREATE')"
            "      OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))"
        )
    ).scalar()
    if not allowed:
        database = bind.execute(text("SELECT current_database()")).scalar()
        raise TrigramsUnavailable(
            f"migration 0012 needs the pg_trgm extension in database {database!r}, which this"
            " role may not install (or the server lacks PostgreSQL's contrib modules): as a"
            f" superuser run CREATE EXTENSION pg_trgm; in {database!r}, then start central again"
        )
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    return bind.execute(text(installed)).scalar_one()


def upgrade() -> None:
    schema = _create_extension()
    for table, column in TEXT_COLUMNS.items():
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {index_name(table)} ON {table}"
            f" USING gin ({column} {schema}.gin_trgm_ops)"
        )


def downgrade() -> None:
    # The extension stays: other databases' objects or an administrator's may use it.
    for table in TEXT_COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS {index_name(table)}")
