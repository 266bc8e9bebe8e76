"""Mirror tables, replication clocks, accounts and enrollments.

Revision ID: 0001
Revises:
"""

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True))


def upgrade() -> None:
    op.create_table(
        "installs",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("os", sa.Text),
        sa.Column("app_version", sa.Text),
        _ts("first_seen"),
        _ts("last_seen"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("install_id", sa.Text),
        sa.Column("username", sa.Text),
        _ts("started"),
        _ts("ended"),
        sa.Column("end_reason", sa.Text),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("install_id", sa.Text),
        sa.Column("username", sa.Text),
        sa.Column("tool", sa.Text),
        sa.Column("function", sa.Text),
        sa.Column("status", sa.Text),
        _ts("started"),
        _ts("finished"),
        sa.Column("duration", sa.Double),
        sa.Column("rows_in", sa.BigInteger),
        sa.Column("rows_out", sa.BigInteger),
        sa.Column("input_files", JSONB),
        sa.Column("output_files", JSONB),
        sa.Column("parameters", JSONB),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_operations_install_id", "operations", ["install_id"])
    op.create_index("ix_operations_username", "operations", ["username"])
    op.create_index("operations_started_idx", "operations", [sa.text("started DESC")])
    op.create_table(
        "events",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("install_id", sa.Text),
        _ts("time"),
        sa.Column("level", sa.Text),
        sa.Column("component", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("data", JSONB),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.Text, primary_key=True),
        sa.Column("display_name", sa.Text),
        sa.Column("team", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("role", sa.Text),
        sa.Column("active", sa.Boolean),
    )
    op.create_table(
        "glossary_terms",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("source", sa.Text),
        sa.Column("translation", sa.Text),
        sa.Column("game", sa.Text),
        sa.Column("language", sa.Text),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("level", sa.Text),
        _ts("created"),
        _ts("expires"),
    )
    op.create_table(
        "app_releases",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("required", sa.Boolean),
        sa.Column("notes", sa.Text),
        sa.Column("url", sa.Text),
        _ts("released"),
    )
    op.create_table(
        "crr_clock",
        sa.Column("tbl", sa.Text, primary_key=True),
        sa.Column("pk", sa.LargeBinary, primary_key=True),
        sa.Column("cid", sa.Text, primary_key=True),
        sa.Column("col_version", sa.BigInteger, nullable=False),
        sa.Column("db_version", sa.BigInteger, nullable=False),
        sa.Column("site_id", sa.LargeBinary, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("vtype", sa.SmallInteger, nullable=False),
        sa.Column("vint", sa.BigInteger),
        sa.Column("vreal", sa.Double),
        sa.Column("vbytes", sa.LargeBinary),
    )
    op.create_index("crr_clock_db_version_idx", "crr_clock", ["db_version"])
    op.execute("CREATE SEQUENCE central_db_version AS bigint MINVALUE 1")
    op.create_table(
        "central_meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "credentials",
        sa.Column("username", sa.Text, primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        _ts("updated"),
    )
    op.create_table(
        "enrollments",
        sa.Column("install_id", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("acked_db_version", sa.BigInteger, nullable=False, server_default="0"),
        _ts("enrolled"),
        _ts("last_push"),
        _ts("revoked"),
    )
    # Central is a cr-sqlite site of its own for the writes admins make.
    op.execute(
        sa.text("INSERT INTO central_meta (key, value) VALUES ('site_id', :site)").bindparams(
            site=secrets.token_bytes(16).hex()
        )
    )
