"""What the admins read about this install: rows of the replicated ``events`` table.

One small writer for every event the engine records (the app starting and stopping, a change of
sync state, a tool failing or warning, an error in a page). Each event has a level, a component
and a short message; ``data`` is JSON, ``value`` one measure of any SQLite type. Nothing is
written while the user has turned diagnostics off (a local setting).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from enum import StrEnum
from typing import Any

from engine import local_settings
from engine.clock import utc_now
from engine.db import Connection

log = logging.getLogger(__name__)

DIAGNOSTICS_KEY = "diagnostics"
MESSAGE_CHARS = 500
DATA_CHARS = 4000
# Of a traceback, the frames kept in its digest (the innermost ones say where it broke).
DIGEST_FRAMES = 3


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


def enabled(conn: Connection) -> bool:
    """Whether diagnostics are sent (on unless the user turned them off)."""
    return local_settings.get(conn, DIAGNOSTICS_KEY) != "0"


def set_enabled(conn: Connection, on: bool) -> None:
    local_settings.put(conn, DIAGNOSTICS_KEY, "1" if on else "0")


def record(
    conn: Connection,
    level: Level,
    component: str,
    message: str,
    data: dict[str, Any] | None = None,
    value: int | float | str | None = None,
) -> str | None:
    """Write one event in the caller's transaction; returns its id, or None when diagnostics
    are off."""
    if not enabled(conn):
        return None
    event_id = str(uuid.uuid4())
    encoded = json.dumps(data, ensure_ascii=False, default=str) if data else None
    if encoded is not None and len(encoded) > DATA_CHARS:
        encoded = json.dumps({"truncated": encoded[:DATA_CHARS]}, ensure_ascii=False)
    conn.execute(
        "INSERT INTO events (id, install_id, time, level, component, message, data, value)"
        " VALUES (?, lower(hex(crsql_site_id())), ?, ?, ?, ?, ?, ?)",
        (event_id, utc_now(), level, component[:100], message[:MESSAGE_CHARS], encoded, value),
    )
    log.debug("event %s %s/%s recorded", event_id, component, level)
    return event_id


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)$')


def digest(traceback_text: str) -> dict[str, str]:
    """A short form of a traceback for grouping and reading: a hash of where it broke (files
    and functions, not line numbers, so the same bug in another build groups with it), the
    innermost frames and the exception line."""
    lines = [line for line in traceback_text.strip().splitlines() if line.strip()]
    frames = [m for m in map(_FRAME.match, lines) if m]
    error = lines[-1].strip() if lines else ""
    where = [f"{_basename(m['file'])}:{m['function']}" for m in frames]
    kind = error.split(":", 1)[0]
    key = hashlib.sha256("|".join([*where, kind]).encode()).hexdigest()[:12]
    inner = [f"{w} line {m['line']}" for w, m in zip(where, frames, strict=True)]
    return {
        "hash": key,
        "frames": " < ".join(reversed(inner[-DIGEST_FRAMES:])),
        "error": error[:MESSAGE_CHARS],
    }
