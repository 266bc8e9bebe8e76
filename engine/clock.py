"""Timestamps as stored in engine.db: ISO-8601 UTC text with milliseconds."""

from datetime import UTC, datetime


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
