"""Staff sessions: an administrator or lead signs in once with a password and gets an opaque
token. Central stores only its SHA-256; the session ends after an idle timeout, which every use
moves (committed with the request), or when signed out."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select, update

from central import accounts, credentials
from central.accounts import STAFF_ROLES, User
from central.errors import AccountDisabled, NotStaff, Unauthorized
from central.tables import staff_sessions, users

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Staff:
    username: str
    role: str
    display_name: str
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _require_staff(user: User) -> None:
    if user.role not in STAFF_ROLES:
        raise NotStaff(f"{user.username!r} is not an administrator or a lead")


def sign_in(
    conn: Connection, username: str, password: str, now: datetime, idle: timedelta
) -> tuple[str, User]:
    """Check the password once and open a session; returns its token (shown once)."""
    user = accounts.check_password(conn, username, password)
    _require_staff(user)
    conn.execute(delete(staff_sessions).where(staff_sessions.c.expires <= now))
    token = "lns_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(staff_sessions).values(
            token_hash=credentials.token_hash(token),
            username=username,
            created=now,
            expires=now + idle,
        )
    )
    log.info("staff session opened (role %s)", user.role)
    return token, user


def for_token(conn: Connection, token: str, now: datetime, idle: timedelta) -> Staff:
    """The session's user, if the session is alive; its idle timeout starts again."""
    hashed = credentials.token_hash(token)
    username = conn.execute(
        update(staff_sessions)
        .where(staff_sessions.c.token_hash == hashed, staff_sessions.c.expires > now)
        .values(expires=now + idle)
        .returning(staff_sessions.c.username)
    ).scalar_one_or_none()
    if username is None:
        raise Unauthorized("no session, or it has expired; sign in again")
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None or not row.active:
        raise AccountDisabled(f"the account {username!r} is disabled or deleted")
    if row.role not in STAFF_ROLES:
        raise NotStaff(f"{username!r} is no longer an administrator or a lead")
    return Staff(username, row.role, row.display_name or username, hashed)


def sign_out(conn: Connection, staff: Staff) -> None:
    conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == staff.token_hash))


def end_sessions(conn: Connection, username: str, keep: str | None = None) -> None:
    """End every session of a user (disabled, deleted, new password), but ``keep``'s."""
    where = staff_sessions.c.username == username
    if keep is not None:
        where &= staff_sessions.c.token_hash != keep
    conn.execute(delete(staff_sessions).where(where))
