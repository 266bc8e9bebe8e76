"""Copies and restores: the machine nonce an install's link is bound to
(``enrollments.machine``), and central's epoch (``central_meta`` key ``epoch``), a random id that
a restore from a backup replaces.

Revision ID: 0006
Revises: 0005
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("machine", sa.Text))
    op.execute(
        sa.text("INSERT INTO central_meta (key, value) VALUES ('epoch', :epoch)").bindparams(
            epoch=secrets.token_hex(16)
        )
    )


def downgrade() -> None:
    op.execute("DELETE FROM central_meta WHERE key = 'epoch'")
    op.drop_column("enrollments", "machine")
