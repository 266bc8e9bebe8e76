"""The console's connections to PostgreSQL: read-only, no JIT, each statement planned with its
values.

psycopg prepares a statement run five times, and PostgreSQL may then keep one plan for all
values: a plan made for a common free text (walk the list in time order) reads the whole list
for a rare one, which the trigram index (migration 0012) answers at once."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

OPTIONS = "-c default_transaction_read_only=on -c jit=off -c plan_cache_mode=force_custom_plan"


def read_only_engine(url: str) -> Engine:
    """``url`` is a SQLAlchemy URL with its driver (the CLI normalises what the user gave)."""
    return create_engine(url, pool_pre_ping=True, connect_args={"options": OPTIONS})
