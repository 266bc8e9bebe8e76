"""Installs' enrollments: binding an install id to a user, install tokens (checked, renewed,
rotated), an administrator's revoke, restore and reset, and the sync-health bookkeeping.

An install id is bound to the user of its first enrollment. Enrolling it again needs its current
token (the token is rotated) or an administrator's reset naming the user who may enroll it; a
different user cannot claim it, and enrolling never clears a revocation. When its user signs out
(``unlink``, with the token), the token ends and any user may enroll the install next.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from central import accounts, credentials
from central.accounts import Install
from central.errors import (
    AccountDisabled,
    AlreadyEnrolled,
    CopiedDatabase,
    InstallRevoked,
    InstallTaken,
    NotFound,
    TokenExpired,
    Unauthorized,
)
from central.tables import enrollments, users
from replicator.wire import EnrollRequest, EnrollResponse, UnlinkResponse

log = logging.getLogger(__name__)

# An install token lasts this long without use; every push or pull renews it (at most daily).
TOKEN_LIFETIME = timedelta(days=90)
_RENEW_AFTER = timedelta(days=1)


def _bound(conn: Connection, install_id: str) -> Any:
    return conn.execute(
        select(enrollments).where(enrollments.c.install_id == install_id).with_for_update()
    ).first()


def _copied(install_id: str) -> CopiedDatabase:
    return CopiedDatabase(
        f"install {install_id} is linked to central from another PC: this engine.db is a copy. "
        "Re-key this copy (`locanext rekey`, or the app's account page) to give it an identity "
        "of its own; nothing is lost"
    )


def _may_rebind(row: Any, request: EnrollRequest, username: str) -> None:
    """Raise unless ``username`` may enroll this enrolled install with ``request``."""
    token = request.token
    if row.machine and request.machine and row.machine != request.machine and not row.rebind_user:
        raise _copied(row.install_id)  # only an administrator's reset moves a link to a new PC
    owner = row.rebind_user or row.username
    if username != owner and row.unlinked is None:
        raise InstallTaken(f"install {row.install_id} is enrolled to another user")
    if row.revoked is not None:
        raise InstallRevoked(
            f"install {row.install_id} has been revoked by an administrator; enrolling again "
            "does not restore it"
        )
    if row.rebind_user is None and row.unlinked is None:
        presented = credentials.token_hash(token) if token else ""
        if not hmac.compare_digest(presented, row.token_hash or "-"):
            raise AlreadyEnrolled(
                f"install {row.install_id} is already enrolled; enrolling it again needs its "
                "current token, or an administrator's reset"
            )


def enroll(conn: Connection, request: EnrollRequest, now: datetime) -> EnrollResponse:
    user = accounts.check_password(conn, request.username, request.password)
    install_id = request.site_id.hex()
    token = credentials.new_token()
    values = {
        "username": user.username,
        "token_hash": credentials.token_hash(token),
        "expires": now + TOKEN_LIFETIME,
        "rebind_user": None,
        "unlinked": None,
    }
    if request.machine:
        values["machine"] = request.machine
    row = _bound(conn, install_id)
    if row is None:
        inserted = conn.execute(
            pg_insert(enrollments)
            .values(install_id=install_id, enrolled=now, **values)
            .on_conflict_do_nothing(index_elements=["install_id"])
            .returning(enrollments.c.install_id)
        ).first()
        if inserted is None:  # enrolled by a concurrent request just now
            raise AlreadyEnrolled(f"install {install_id} is already enrolled")
        log.info("install %s enrolled", install_id)
    else:
        _may_rebind(row, request, user.username)
        # The old token stops working; the watermark and the history stay.
        conn.execute(
            update(enrollments).where(enrollments.c.install_id == install_id).values(**values)
        )
        log.info("install %s enrolled again (token rotated)", install_id)
    return EnrollResponse(install_id=install_id, token=token, username=user.username)


# Built once: every push and pull runs it, and a statement object keeps its cache key.
_BY_TOKEN = (
    select(enrollments, users.c.active)
    .join(users, users.c.username == enrollments.c.username, isouter=True)
    .where(enrollments.c.token_hash == bindparam("token_hash"))
)


def find(conn: Connection, token: str) -> Any:
    """The enrollment holding this token, with its user's ``active`` flag."""
    row = conn.execute(_BY_TOKEN, {"token_hash": credentials.token_hash(token)}).first()
    if row is None:
        raise Unauthorized("unknown install token; enroll this install again")
    return row


def unlink(conn: Connection, token: str, now: datetime) -> UnlinkResponse:
    """Its user signed out: the token ends (even an expired one may say so) and any user may
    enroll the install next. The watermark, the revocation and the history stay."""
    row = find(conn, token)
    conn.execute(
        update(enrollments)
        .where(enrollments.c.install_id == row.install_id)
        .values(token_hash=None, rebind_user=None, unlinked=now)
    )
    log.info("install %s unlinked by its user", row.install_id)
    return UnlinkResponse(install_id=row.install_id, username=row.username)


def admit(row: Any, now: datetime, machine: str | None = None) -> Install:
    """The install of an enrollment ``find`` returned, if it may sync now.

    ``machine`` is the nonce the request presented: another than the one the link is bound to
    means a copy of the install."""
    if row.machine and machine and machine != row.machine:
        raise _copied(row.install_id)
    if row.revoked is not None:
        raise InstallRevoked(f"install {row.install_id} has been revoked by an administrator")
    if not row.active:
        raise AccountDisabled(
            f"the account {row.username!r} of install {row.install_id} is disabled; "
            "ask an administrator"
        )
    if row.expires is not None and row.expires <= now:
        raise TokenExpired(f"the token of install {row.install_id} has expired; enroll again")
    return Install(row.install_id, row.username, row.acked_db_version)


def admission_writes(row: Any, now: datetime, machine: str | None = None) -> dict[str, Any]:
    """What an admitted request changes in its enrollment, usually nothing: the token's renewal
    (at most daily, so requests don't all write) and the machine nonce, bound here when the
    enrollment predates nonces."""
    values: dict[str, Any] = {}
    if machine and not row.machine:
        values["machine"] = machine
    if row.expires is None or row.expires - now < TOKEN_LIFETIME - _RENEW_AFTER:
        values["expires"] = now + TOKEN_LIFETIME
    return values


def write_admission(conn: Connection, install_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(enrollments).where(enrollments.c.install_id == install_id).values(**values))


def record_refusal(conn: Connection, install_id: str, code: str, now: datetime) -> None:
    conn.execute(
        update(enrollments)
        .where(enrollments.c.install_id == install_id)
        .values(last_refusal_code=code, last_refusal_at=now)
    )


def _status(conn: Connection, install_id: str) -> dict[str, Any]:
    row = conn.execute(select(enrollments).where(enrollments.c.install_id == install_id)).first()
    if row is None:
        raise NotFound(f"no install {install_id!r}")
    return {
        "install_id": row.install_id,
        "status": "revoked" if row.revoked is not None else "active",
        "username": row.username,
        "awaiting_enrollment": row.rebind_user,
    }


def _set(conn: Connection, install_id: str, **values: Any) -> dict[str, Any]:
    result = conn.execute(
        update(enrollments).where(enrollments.c.install_id == install_id).values(**values)
    )
    if result.rowcount != 1:
        raise NotFound(f"no install {install_id!r}")
    return _status(conn, install_id)


def revoke(conn: Connection, install_id: str, now: datetime) -> dict[str, Any]:
    status = _set(conn, install_id, revoked=now)
    log.info("install %s revoked", install_id)
    return status


def restore(conn: Connection, install_id: str) -> dict[str, Any]:
    status = _set(conn, install_id, revoked=None)
    log.info("install %s restored", install_id)
    return status


def reset(conn: Connection, install_id: str, username: str | None) -> dict[str, Any]:
    """End the install's token; its next enrollment by ``username`` (default its own user) needs
    no token. Revocation is left as it is."""
    owner = _status(conn, install_id)["username"]
    rebind = username or owner
    accounts.get_user(conn, rebind)
    status = _set(conn, install_id, token_hash=None, rebind_user=rebind)
    log.info("install %s reset", install_id)
    return status
