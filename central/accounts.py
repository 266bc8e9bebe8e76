"""Users' credentials, the bootstrap administrator, install enrollment and token checks."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import credentials, writes
from central.errors import Conflict, Forbidden, Revoked, Unauthorized
from central.tables import credentials as credentials_table
from central.tables import enrollments, users
from replicator.wire import EnrollRequest, EnrollResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Install:
    install_id: str
    username: str
    acked_db_version: int

    @property
    def site_id(self) -> bytes:
        return bytes.fromhex(self.install_id)


# An install token lasts this long without use; every push or pull renews it.
TOKEN_LIFETIME = timedelta(days=90)


def _now() -> datetime:
    return datetime.now(UTC)


def set_password(conn: Connection, username: str, password: str) -> None:
    values = {"password_hash": credentials.hash_password(password), "updated": _now()}
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
) -> None:
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


def ensure_admin(conn: Connection, password: str | None) -> str | None:
    """Create the ``admin`` account when central has no account yet; returns its new password."""
    if conn.execute(select(func.count()).select_from(credentials_table)).scalar_one():
        return None
    password = password or secrets.token_urlsafe(12)
    create_user(conn, "admin", password, display_name="Administrator", role="admin")
    return password


def check_password(conn: Connection, username: str, password: str) -> dict[str, object]:
    """The user's profile when the password is right and the account active."""
    row = conn.execute(
        select(credentials_table.c.password_hash, users.c.role, users.c.active)
        .join(users, users.c.username == credentials_table.c.username)
        .where(credentials_table.c.username == username)
    ).first()
    if row is None or not credentials.verify_password(password, row.password_hash):
        raise Unauthorized("wrong user name or password")
    if not row.active:
        raise Forbidden(f"the account {username!r} is disabled")
    return {"username": username, "role": row.role}


def enroll(conn: Connection, request: EnrollRequest) -> EnrollResponse:
    check_password(conn, request.username, request.password)
    install_id = request.site_id.hex()
    token = credentials.new_token()
    values = {
        "username": request.username,
        "token_hash": credentials.token_hash(token),
        "enrolled": _now(),
        "expires": _now() + TOKEN_LIFETIME,
        "revoked": None,
    }
    # Re-enrolling the same site replaces its token; its watermark is kept.
    conn.execute(
        pg_insert(enrollments)
        .values(install_id=install_id, **values)
        .on_conflict_do_update(index_elements=["install_id"], set_=values)
    )
    log.info("install %s enrolled", install_id)
    return EnrollResponse(install_id=install_id, token=token, username=request.username)


def install_for_token(conn: Connection, token: str) -> Install:
    row = conn.execute(
        select(enrollments).where(enrollments.c.token_hash == credentials.token_hash(token))
    ).first()
    if row is None:
        raise Unauthorized("unknown install token; enroll this install again")
    if row.revoked is not None:
        raise Revoked(f"install {row.install_id} has been revoked by an administrator")
    now = _now()
    if row.expires is not None and row.expires <= now:
        raise Unauthorized(f"the token of install {row.install_id} has expired; enroll again")
    if row.expires is None or row.expires - now < TOKEN_LIFETIME - timedelta(days=1):
        conn.execute(  # renewed at most daily, so requests don't all write
            update(enrollments)
            .where(enrollments.c.install_id == row.install_id)
            .values(expires=now + TOKEN_LIFETIME)
        )
    return Install(row.install_id, row.username, row.acked_db_version)


def revoke(conn: Connection, install_id: str) -> None:
    conn.execute(
        update(enrollments).where(enrollments.c.install_id == install_id).values(revoked=_now())
    )
