"""Staff sessions, install binding (administrator's reset) and sync-health columns of
enrollments.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, **kwargs: object) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), **kwargs)


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False),
        _ts("created"),
        _ts("expires", nullable=False),
    )
    op.create_index("staff_sessions_username_idx", "staff_sessions", ["username"])
    op.alter_column("enrollments", "token_hash", nullable=True)
    op.add_column("enrollments", sa.Column("rebind_user", sa.Text))
    op.add_column("enrollments", _ts("last_pull"))
    op.add_column("enrollments", sa.Column("pull_cursor", sa.BigInteger))
    op.add_column("enrollments", sa.Column("last_refusal_code", sa.Text))
    op.add_column("enrollments", _ts("last_refusal_at"))
    op.create_index("enrollments_username_idx", "enrollments", ["username"])


def downgrade() -> None:
    op.drop_index("enrollments_username_idx", table_name="enrollments")
    for column in ("last_refusal_at", "last_refusal_code", "pull_cursor", "last_pull"):
        op.drop_column("enrollments", column)
    op.drop_column("enrollments", "rebind_user")
    # An install reset by an administrator keeps a hash no token has.
    op.execute(
        "UPDATE enrollments SET token_hash = 'reset:' || install_id WHERE token_hash IS NULL"
    )
    op.alter_column("enrollments", "token_hash", nullable=False)
    op.drop_index("staff_sessions_username_idx", table_name="staff_sessions")
    op.drop_table("staff_sessions")
