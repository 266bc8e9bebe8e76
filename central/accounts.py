"""Users: their profiles (the shared ``users`` table, written through the merge path), their
passwords (``credentials``, central only), and the bootstrap administrator."""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import credentials, writes
from central.errors import AccountDisabled, Conflict, NotFound, WrongCredentials
from central.tables import credentials as credentials_table
from central.tables import enrollments, users

log = logging.getLogger(__name__)

ROLES = ("translator", "lead", "admin")
STAFF_ROLES = frozenset({"lead", "admin"})
PROFILE_FIELDS = ("display_name", "team", "language", "role")


@dataclass(frozen=True)
class Install:
    install_id: str
    username: str
    acked_db_version: int

    @property
    def site_id(self) -> bytes:
        return bytes.fromhex(self.install_id)


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    team: str
    language: str
    role: str
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _user(row: Any) -> User:
    return User(
        username=row.username,
        display_name=row.display_name or "",
        team=row.team or "",
        language=row.language or "",
        role=row.role or "translator",
        active=bool(row.active),
    )


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def get_user(conn: Connection, username: str) -> User:
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    return _user(row)


def set_password(conn: Connection, username: str, password: str) -> None:
    values = {"password_hash": credentials.hash_password(password), "updated": datetime.now(UTC)}
    conn.execute(
        pg_insert(credentials_table)
        .values(username=username, **values)
        .on_conflict_do_update(index_elements=["username"], set_=values)
    )


def create_user(
    conn: Connection,
    username: str,
    password: str,
    *,
    display_name: str = "",
    team: str = "",
    language: str = "",
    role: str = "translator",
) -> User:
    exists = conn.execute(select(users.c.username).where(users.c.username == username)).first()
    if exists:
        raise Conflict(f"user {username!r} already exists")
    writes.write_row(
        conn,
        "users",
        username,
        {
            "display_name": display_name or username,
            "team": team,
            "language": language,
            "role": role,
            "active": 1,
        },
    )
    set_password(conn, username, password)
    log.info("user created (role %s)", role)
    return get_user(conn, username)


def update_user(conn: Connection, username: str, changes: dict[str, str]) -> User:
    """Change profile fields (``PROFILE_FIELDS``); one merge, fields left out stay."""
    current = get_user(conn, username)
    changed = {k: v for k, v in changes.items() if getattr(current, k) != v}
    if changed:
        writes.write_row(conn, "users", username, dict(changed))
        log.info("user profile changed: %s", ", ".join(sorted(changed)))
    return get_user(conn, username)


def set_active(conn: Connection, username: str, active: bool) -> User:
    if get_user(conn, username).active != active:
        writes.write_row(conn, "users", username, {"active": int(active)})
        log.info("user %s", "enabled" if active else "disabled")
    return get_user(conn, username)


def delete_user(conn: Connection, username: str, now: datetime) -> None:
    """Delete the users row (a delete change, replicated), the password, and revoke the user's
    installs. Their history (operations, events, sessions) keeps their name."""
    get_user(conn, username)
    writes.delete_row(conn, "users", username)
    conn.execute(delete(credentials_table).where(credentials_table.c.username == username))
    conn.execute(
        update(enrollments)
        .where(enrollments.c.username == username, enrollments.c.revoked.is_(None))
        .values(revoked=now)
    )
    log.info("user deleted; their installs revoked")


def ensure_admin(conn: Connection, password: str | None) -> str | None:
    """Create the ``admin`` account when central has no account yet; returns its new password."""
    if conn.execute(select(func.count()).select_from(credentials_table)).scalar_one():
        return None
    password = password or secrets.token_urlsafe(12)
    create_user(conn, "admin", password, display_name="Administrator", role="admin")
    return password


@cache
def _dummy_hash() -> str:
    """A hash to check against for unknown users, so they cost the same scrypt as a real one."""
    return credentials.hash_password(secrets.token_urlsafe(16))


def check_password(conn: Connection, username: str, password: str) -> User:
    """The user when the password is right and the account active.

    An unknown name and a wrong password get the same error after the same work."""
    row = conn.execute(
        select(credentials_table.c.password_hash, users)
        .join(users, users.c.username == credentials_table.c.username)
        .where(credentials_table.c.username == username)
    ).first()
    stored = row.password_hash if row is not None else _dummy_hash()
    if not credentials.verify_password(password, stored) or row is None:
        raise WrongCredentials("wrong user name or password")
    if not row.active:
        raise AccountDisabled(f"the account {username!r} is disabled")
    return _user(row)
