"""App releases published by the administrators (the replicated ``app_releases`` table), compared
with this build's version (``engine.__version__``, PEP 440 ordering).

A release newer than this app gives a notice (its notes and download link) that the user may
dismiss; if any newer release is marked required, the notice is required and cannot be dismissed:
it stays until the app is updated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from engine import __version__, local_settings
from engine.db import Database

log = logging.getLogger(__name__)

# The local setting holding the version whose (optional) notice the user dismissed.
DISMISSED = "release_notice_dismissed"


@dataclass(frozen=True)
class Release:
    version: str
    required: bool
    notes: str
    url: str
    released: str | None


@dataclass(frozen=True)
class Notice:
    """What the app tells its user: the newest release, and whether updating is required."""

    newest: Release
    required: bool
    current: str


class Releases:
    def __init__(self, db: Database, current: str = __version__) -> None:
        self._db = db
        self.current = current

    def newer(self) -> list[Release]:
        """Releases newer than this build, newest first (unreadable versions are left out)."""
        mine = Version(self.current)
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT version, required, notes, url, released FROM app_releases"
            ).fetchall()
        found: list[tuple[Version, Release]] = []
        for version, required, notes, url, released in rows:
            try:
                parsed = Version(version)
            except InvalidVersion:
                log.warning("release %r has no PEP 440 version; ignored", version)
                continue
            if parsed > mine:
                found.append((parsed, Release(version, bool(required), notes, url, released)))
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [release for _, release in found]

    def notice(self) -> Notice | None:
        """The notice to show, or None (nothing newer, or an optional one the user dismissed)."""
        newer = self.newer()
        if not newer:
            return None
        required = any(r.required for r in newer)
        if not required:
            with self._db.read() as conn:
                if local_settings.get(conn, DISMISSED) == newer[0].version:
                    return None
        return Notice(newer[0], required, self.current)

    def dismiss(self, version: str) -> None:
        """Hide the optional notice of ``version`` (a newer release shows again)."""
        with self._db.write() as conn:
            local_settings.put(conn, DISMISSED, version)
