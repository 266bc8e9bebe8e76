"""Installs their user signed out of: ``enrollments.unlinked``.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("unlinked", sa.DateTime(timezone=True)))
    # Column grants of 0004 name each column; the console sees this one too.
    op.execute("GRANT SELECT (unlinked) ON enrollments TO locanext_reader")


def downgrade() -> None:
    op.drop_column("enrollments", "unlinked")
