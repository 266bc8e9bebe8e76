"""Indexes for the admin console's lists: each list's sort key (the time, never NULL) with the id,
alone and after each filter column a list is most often narrowed by, so a page of a filtered view
is an index range scan however deep it is.

Revision ID: 0010
Revises: 0005
"""

from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

# The lists' sort key (web_admin.listing): the time, with a fixed stand-in for NULL.
NEVER = "'0001-01-01 00:00:00+00'::timestamptz"
LISTS = {
    "operations": ("started", ("tool", "username", "install_id", "status")),
    "events": ("time", ("level", "install_id", "component")),
}


def _indexes() -> list[tuple[str, str, str]]:
    out = []
    for table, (time_column, filters) in LISTS.items():
        key = f"coalesce({time_column}, {NEVER}) DESC, id DESC"
        out.append((f"{table}_list_idx", table, key))
        out += [(f"{table}_{column}_list_idx", table, f"{column}, {key}") for column in filters]
    return out


# Activity sorts by duration too.
DURATION = ("operations_duration_list_idx", "operations", "coalesce(duration, -1.0) DESC, id DESC")


def upgrade() -> None:
    for name, table, columns in (*_indexes(), DURATION):
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def downgrade() -> None:
    for name, _, _ in (*_indexes(), DURATION):
        op.execute(f"DROP INDEX IF EXISTS {name}")
