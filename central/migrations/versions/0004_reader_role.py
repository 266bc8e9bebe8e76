"""The role ``locanext_reader``: SELECT on the mirror and the bookkeeping the admin console shows,
nothing else.

The role is cluster-wide (several central databases on one server share it); grants are per
database. It may log in without a password where the server trusts local connections; over TCP
an administrator gives it one (``ALTER ROLE locanext_reader PASSWORD ...``).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

READER = "locanext_reader"
MIRROR = (
    "installs",
    "sessions",
    "operations",
    "events",
    "users",
    "glossary_terms",
    "announcements",
    "app_releases",
)
BOOKKEEPING = ("crr_clock", "parked_changes", "partial_versions", "merge_conflicts", "central_meta")
# enrollments without token_hash; credentials and staff_sessions are never readable.
ENROLLMENT_COLUMNS = (
    "install_id",
    "username",
    "acked_db_version",
    "enrolled",
    "last_push",
    "revoked",
    "expires",
    "rebind_user",
    "last_pull",
    "pull_cursor",
    "last_refusal_code",
    "last_refusal_at",
)
# Whoever may call these with central's merge-lock key can stall every merge.
ADVISORY_LOCKS = tuple(
    f"pg_{try_}advisory_{xact}lock{shared}(bigint)"
    for try_ in ("", "try_")
    for xact in ("", "xact_")
    for shared in ("", "_shared")
)


def upgrade() -> None:
    # Two databases migrating at once may both try to create the role.
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
            CREATE ROLE {READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$
        """
    )
    # PUBLIC may create temporary tables by default; central keeps that right (its merge work
    # tables are temporary), the reader does not get it.
    op.execute(
        f"""
        DO $$
        BEGIN
          EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO CURRENT_USER', current_database());
          EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
          EXECUTE format('GRANT CONNECT ON DATABASE %I TO {READER}', current_database());
        END $$
        """
    )
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
    op.execute(f"GRANT SELECT ON {', '.join(MIRROR + BOOKKEEPING)} TO {READER}")
    op.execute(f"GRANT SELECT ({', '.join(ENROLLMENT_COLUMNS)}) ON enrollments TO {READER}")
    # Tables later migrations create are readable too (a secret one must revoke it).
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {READER}")
    for function in ADVISORY_LOCKS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO CURRENT_USER")
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")


def downgrade() -> None:
    for function in ADVISORY_LOCKS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO PUBLIC")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM {READER}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {READER}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {READER}")
    op.execute(
        f"""
        DO $$
        BEGIN
          EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM {READER}', current_database());
          EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
        END $$
        """
    )
    # The role itself stays: other databases on the server may still grant it rights.
