"""Telling listeners (the admin console) that a merge committed: ``NOTIFY locanext_merged`` with
central's db_version as the payload. Sent inside the merge transaction, so PostgreSQL delivers it
at commit, and never if the merge rolls back."""

from __future__ import annotations

from sqlalchemy import Connection, text

MERGED_CHANNEL = "locanext_merged"


def notify_merged(conn: Connection) -> None:
    """Call after a merge in the caller's transaction. Merges hold central's merge lock until
    they commit, so the sequence's last value is this merge's version."""
    conn.execute(
        text("SELECT pg_notify(:channel, (SELECT last_value FROM central_db_version)::text)"),
        {"channel": MERGED_CHANNEL},
    )
