"""Announcements from the team's administrators (the replicated ``announcements`` table), and
which of them this install's user has read (the local ``announcement_reads`` table: read state
never leaves this PC).

An announcement whose ``expires`` time has passed is hidden; one whose times cannot be read is
shown (hiding a message by mistake is worse than showing an old one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.clock import utc_now
from engine.db import Database

log = logging.getLogger(__name__)

# The levels an announcement can have, most urgent last; anything else reads as info.
LEVELS = ("info", "warning", "critical")
_ALIASES = {"error": "critical", "urgent": "critical", "warn": "warning"}


def level_of(text: str | None) -> str:
    level = (text or "").strip().lower()
    level = _ALIASES.get(level, level)
    return level if level in LEVELS else "info"


def parse_time(text: str | None) -> datetime | None:
    """An ISO-8601 time as an aware UTC datetime (a time without a zone is taken as UTC)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Announcement:
    id: str
    title: str
    body: str
    level: str
    created: datetime | None
    expires: datetime | None
    read: bool


class Announcements:
    def __init__(self, db: Database) -> None:
        self._db = db

    def current(self, now: datetime | None = None) -> list[Announcement]:
        """Every announcement not yet expired, newest first."""
        now = now or datetime.now(UTC)
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT a.id, a.title, a.body, a.level, a.created, a.expires, r.id IS NOT NULL"
                " FROM announcements a LEFT JOIN announcement_reads r ON r.id = a.id"
            ).fetchall()
        shown = []
        for id_, title, body, level, created, expires, read in rows:
            ends = parse_time(expires)
            if expires and ends is None:
                log.warning("announcement %s has an unreadable expiry; shown", id_)
            if ends is not None and ends <= now:
                continue
            shown.append(
                Announcement(
                    id_, title, body, level_of(level), parse_time(created), ends, bool(read)
                )
            )
        oldest = datetime.min.replace(tzinfo=UTC)
        shown.sort(key=lambda a: (a.created or oldest, a.id), reverse=True)
        return shown

    def unread(self, now: datetime | None = None) -> list[Announcement]:
        return [a for a in self.current(now) if not a.read]

    def mark_read(self, *ids: str) -> None:
        with self._db.write() as conn:
            conn.executemany(
                "INSERT INTO announcement_reads (id, read_at) VALUES (?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                [(i, utc_now()) for i in ids],
            )
