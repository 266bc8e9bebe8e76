"""Rollups of ``operations`` for the admin console's overview, kept by statement triggers (one
grouped upsert per statement of central's set-based merge, whatever its size):

- ``operation_hours``: runs per hour (UTC), tool and status;
- ``operation_durations``: runs per UTC day, tool and duration bucket (a quarter of a doubling of
  milliseconds), from which the overview reads approximate p50 and p95;
- ``install_days``: per UTC day and install, which of the day's 24 UTC hours it ran something
  in (a bit each), so active installs per day can be counted in any viewer's time zone from 30
  rows per install; ``user_days``: which users ran something on each UTC day. Both are kept when
  the run is later deleted: they say "was active".

An UPDATE takes the old rows' counts off and adds the new rows', so a run whose status, tool or
start changes moves between counts. Existing operations are counted once here.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BUCKET = "floor(4 * ln(greatest({d}, 0) * 1000 + 1) / ln(2))::smallint"
TABLES = """
CREATE TABLE operation_hours (
    hour timestamptz NOT NULL, tool text NOT NULL, status text NOT NULL,
    runs bigint NOT NULL, PRIMARY KEY (hour, tool, status));
CREATE TABLE operation_durations (
    day date NOT NULL, tool text NOT NULL, bucket smallint NOT NULL,
    runs bigint NOT NULL, PRIMARY KEY (day, tool, bucket));
CREATE TABLE install_days (
    day date NOT NULL, install_id text NOT NULL, hours integer NOT NULL,
    PRIMARY KEY (day, install_id));
CREATE TABLE user_days (day date NOT NULL, username text NOT NULL, PRIMARY KEY (day, username));
"""


def _counts(rows: str, sign: str) -> str:
    bucket = BUCKET.format(d="duration")
    return f"""
    INSERT INTO operation_hours AS h (hour, tool, status, runs)
      SELECT date_trunc('hour', started, 'UTC'), coalesce(tool, ''), coalesce(status, ''),
             {sign}count(*)
      FROM {rows} WHERE started IS NOT NULL GROUP BY 1, 2, 3
      ON CONFLICT (hour, tool, status) DO UPDATE SET runs = h.runs + excluded.runs;
    INSERT INTO operation_durations AS d (day, tool, bucket, runs)
      SELECT (started AT TIME ZONE 'UTC')::date, coalesce(tool, ''), {bucket}, {sign}count(*)
      FROM {rows} WHERE started IS NOT NULL AND duration IS NOT NULL GROUP BY 1, 2, 3
      ON CONFLICT (day, tool, bucket) DO UPDATE SET runs = d.runs + excluded.runs;
    """


def _presence(rows: str) -> str:
    return f"""
    INSERT INTO install_days AS d (day, install_id, hours)
      SELECT (started AT TIME ZONE 'UTC')::date, install_id,
             bit_or(1 << extract(hour FROM started AT TIME ZONE 'UTC')::int)
      FROM {rows} WHERE started IS NOT NULL AND install_id IS NOT NULL GROUP BY 1, 2
      ON CONFLICT (day, install_id) DO UPDATE SET hours = d.hours | excluded.hours;
    INSERT INTO user_days
      SELECT DISTINCT (started AT TIME ZONE 'UTC')::date, username FROM {rows}
      WHERE started IS NOT NULL AND username IS NOT NULL ON CONFLICT DO NOTHING;
    """


FUNCTION = f"""
CREATE FUNCTION console_rollup_operations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    {_counts("old_rows", "-")}
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    {_counts("new_rows", "")}
    {_presence("new_rows")}
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER operations_rollup_insert AFTER INSERT ON operations
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION console_rollup_operations();
CREATE TRIGGER operations_rollup_update AFTER UPDATE ON operations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION console_rollup_operations();
CREATE TRIGGER operations_rollup_delete AFTER DELETE ON operations
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION console_rollup_operations();
"""


def upgrade() -> None:
    op.execute(TABLES)
    op.execute(FUNCTION)
    op.execute(_counts("operations", "") + _presence("operations"))
    # Tables made after 0004 are readable by the console through its default privileges; said
    # here too, for a database whose migrations ran as another role.
    op.execute(
        "GRANT SELECT ON operation_hours, operation_durations, install_days, user_days"
        " TO locanext_reader"
    )


def downgrade() -> None:
    for event in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS operations_rollup_{event} ON operations")
    op.execute("DROP FUNCTION IF EXISTS console_rollup_operations()")
    op.execute("DROP TABLE operation_hours, operation_durations, install_days, user_days")
