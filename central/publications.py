"""Announcements and app releases: written by administrators through the merge path (so every
install pulls them like any shared change), withdrawn with a delete change."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from central import writes
from central.errors import Conflict, NotFound
from central.tables import announcements, app_releases
from replicator.wire import SqlValue

log = logging.getLogger(__name__)


def stamp(moment: datetime) -> str:
    """A time as installs store it: ISO-8601 UTC text with milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _row(conn: Connection, table: Table, key: str) -> dict[str, Any]:
    (key_column,) = table.primary_key.columns
    row = conn.execute(select(table).where(key_column == key)).mappings().first()
    if row is None:
        raise NotFound(f"no {table.name} row {key!r}")
    return dict(row)


def _values(changes: dict[str, Any]) -> dict[str, SqlValue]:
    """Column values as SQLite holds them (times as text, flags as 0/1)."""
    values: dict[str, SqlValue] = {}
    for column, value in changes.items():
        if isinstance(value, datetime):
            values[column] = stamp(value)
        elif isinstance(value, bool):
            values[column] = int(value)
        else:
            values[column] = value
    return values


def _edit(conn: Connection, table: Table, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    _row(conn, table, key)
    if changes:
        writes.write_row(conn, table.name, key, _values(changes))
    return _row(conn, table, key)


def _withdraw(conn: Connection, table: Table, key: str) -> None:
    if not writes.delete_row(conn, table.name, key):
        raise NotFound(f"no {table.name} row {key!r}")
    log.info("%s %s withdrawn", table.name, key)


def list_announcements(conn: Connection) -> list[dict[str, Any]]:
    query = select(announcements).order_by(announcements.c.created.desc().nulls_last())
    return [dict(r) for r in conn.execute(query).mappings()]


def create_announcement(conn: Connection, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    key = str(uuid.uuid4())
    writes.write_row(conn, "announcements", key, _values({**fields, "created": now}))
    log.info("announcement %s published", key)
    return _row(conn, announcements, key)


def edit_announcement(conn: Connection, key: str, changes: dict[str, Any]) -> dict[str, Any]:
    return _edit(conn, announcements, key, changes)


def withdraw_announcement(conn: Connection, key: str) -> None:
    _withdraw(conn, announcements, key)


def list_releases(conn: Connection) -> list[dict[str, Any]]:
    query = select(app_releases).order_by(app_releases.c.released.desc().nulls_last())
    return [dict(r) for r in conn.execute(query).mappings()]


def publish_release(
    conn: Connection, version: str, fields: dict[str, Any], now: datetime
) -> dict[str, Any]:
    exists = conn.execute(
        select(app_releases.c.version).where(app_releases.c.version == version)
    ).first()
    if exists:
        raise Conflict(f"release {version!r} already exists; edit it instead")
    writes.write_row(conn, "app_releases", version, _values({**fields, "released": now}))
    log.info("release %s published", version)
    return _row(conn, app_releases, version)


def edit_release(conn: Connection, version: str, changes: dict[str, Any]) -> dict[str, Any]:
    return _edit(conn, app_releases, version, changes)


def withdraw_release(conn: Connection, version: str) -> None:
    _withdraw(conn, app_releases, version)
