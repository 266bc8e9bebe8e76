"""FastAPI dependencies: the database engine, the clock, the calling install, the signed-in
administrator or lead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, text

from central import enrollments, staff
from central.accounts import Install
from central.errors import AdminOnly, Unauthorized
from central.staff import Staff
from replicator.wire import MACHINE_HEADER

_bearer = HTTPBearer(auto_error=False)

Clock = Callable[[], datetime]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


def get_now(request: Request) -> datetime:
    return request.app.state.clock()


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_read_engine(request: Request) -> Engine:
    return request.app.state.read_engine


DbEngine = Annotated[Engine, Depends(get_engine)]
ReadEngine = Annotated[Engine, Depends(get_read_engine)]
Now = Annotated[datetime, Depends(get_now)]


def _admit_install(
    request: Request, engine: Engine, auth: Bearer, now: datetime, pulled: int | None = None
) -> Install:
    if auth is None:
        raise Unauthorized("missing install token (Authorization: Bearer ...); enroll first")
    with engine.begin() as conn:  # committed: the token's renewal and the pull's bookkeeping
        row = enrollments.find(conn, auth.credentials)
        # From here on, a refusal of this request is recorded against the install.
        request.state.install_id = row.install_id
        install = enrollments.admit(conn, row, now, _machine(request))
        if pulled is not None:
            enrollments.record_pull(conn, install.install_id, pulled, now)
            # Sync health only, written on every pull: a crash may lose the newest of these
            # (the next pull writes it again), so the commit need not wait for the WAL flush.
            conn.execute(text("SET LOCAL synchronous_commit = off"))
        return install


def _machine(request: Request) -> str | None:
    """The machine nonce the install presented; anything but a well-formed one is none."""
    value = request.headers.get(MACHINE_HEADER, "")
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


def current_install(request: Request, engine: DbEngine, auth: Bearer, now: Now) -> Install:
    return _admit_install(request, engine, auth, now)


def pulling_install(
    request: Request,
    engine: DbEngine,
    auth: Bearer,
    now: Now,
    since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # a PostgreSQL bigint
) -> Install:
    """The install, with its pull (time and cursor) recorded in the same transaction."""
    return _admit_install(request, engine, auth, now, pulled=since)


def current_staff(request: Request, engine: DbEngine, auth: Bearer, now: Now) -> Staff:
    if auth is None:
        raise Unauthorized(
            "sign in first (POST /api/admin/session), then send Authorization: Bearer <token>"
        )
    idle = timedelta(seconds=request.app.state.settings.staff_idle_timeout_s)
    with engine.begin() as conn:  # committed: the session's renewal
        return staff.for_token(conn, auth.credentials, now, idle)


def current_admin(user: Annotated[Staff, Depends(current_staff)]) -> Staff:
    if not user.is_admin:
        raise AdminOnly(f"{user.username!r} is a lead: reading only; this needs an administrator")
    return user


CurrentInstall = Annotated[Install, Depends(current_install)]
PullingInstall = Annotated[Install, Depends(pulling_install)]
CurrentStaff = Annotated[Staff, Depends(current_staff)]
CurrentAdmin = Annotated[Staff, Depends(current_admin)]
