"""Parked changes (incomplete versions, unknown columns), the conflict log, token expiry,
events.value (engine schema version 2).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_changes",
        sa.Column("site_id", sa.LargeBinary, primary_key=True),
        sa.Column("db_version", sa.BigInteger, primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("tbl", sa.Text, nullable=False),
        sa.Column("pk", sa.LargeBinary, nullable=False),
        sa.Column("cid", sa.Text, nullable=False),
        sa.Column("vtype", sa.SmallInteger, nullable=False),
        sa.Column("vint", sa.BigInteger),
        sa.Column("vreal", sa.Double),
        sa.Column("vbytes", sa.LargeBinary),
        sa.Column("col_version", sa.BigInteger, nullable=False),
        sa.Column("cl", sa.BigInteger, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), server_default=sa.func.now()),
    )
    op.create_table(
        "partial_versions",
        sa.Column("site_id", sa.LargeBinary, primary_key=True),
        sa.Column("db_version", sa.BigInteger, primary_key=True),
        sa.Column("declared", sa.Integer),
        sa.Column("last_seq", sa.Integer),
    )
    op.create_table(
        "merge_conflicts",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now()),
        sa.Column("db_version", sa.BigInteger, nullable=False),
        sa.Column("tbl", sa.Text, nullable=False),
        sa.Column("pk", sa.LargeBinary, nullable=False),
        sa.Column("row_key", sa.Text),
        sa.Column("cid", sa.Text, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("incoming_won", sa.Boolean, nullable=False),
        sa.Column("incoming_value", sa.Text),
        sa.Column("incoming_site_id", sa.LargeBinary, nullable=False),
        sa.Column("incoming_col_version", sa.BigInteger, nullable=False),
        sa.Column("incoming_cl", sa.BigInteger, nullable=False),
        sa.Column("existing_value", sa.Text),
        sa.Column("existing_site_id", sa.LargeBinary),
        sa.Column("existing_col_version", sa.BigInteger),
        sa.Column("existing_cl", sa.BigInteger),
    )
    op.create_index("merge_conflicts_at_idx", "merge_conflicts", [sa.text("at DESC")])
    op.add_column("enrollments", sa.Column("expires", sa.DateTime(timezone=True)))
    op.add_column("events", sa.Column("value", sa.Double))
    op.drop_index("crr_clock_db_version_idx", table_name="crr_clock")
    op.create_index(
        "crr_clock_shared_db_version_idx",
        "crr_clock",
        ["db_version"],
        postgresql_where=sa.text(
            "tbl = ANY (ARRAY['users'::text, 'glossary_terms'::text, 'announcements'::text,"
            " 'app_releases'::text])"
        ),
    )


def downgrade() -> None:
    op.drop_index("crr_clock_shared_db_version_idx", table_name="crr_clock")
    op.create_index("crr_clock_db_version_idx", "crr_clock", ["db_version"])
    op.drop_column("events", "value")
    op.drop_column("enrollments", "expires")
    op.drop_table("merge_conflicts")
    op.drop_table("partial_versions")
    op.drop_table("parked_changes")
