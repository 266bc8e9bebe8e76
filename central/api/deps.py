"""FastAPI dependencies: the database engine, the clock, the calling install, the signed-in
administrator or lead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from central import enrollments, staff
from central.accounts import Install
from central.errors import AdminOnly, Unauthorized
from central.staff import Staff
from replicator.wire import MACHINE_HEADER

_bearer = HTTPBearer(auto_error=False)

Clock = Callable[[], datetime]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# Async, so FastAPI calls them on the event loop rather than through the threadpool.
async def get_engine(request: Request) -> Engine:
    return request.app.state.engine


async def get_now(request: Request) -> datetime:
    return request.app.state.clock()


DbEngine = Annotated[Engine, Depends(get_engine)]
Now = Annotated[datetime, Depends(get_now)]


def install_token(auth: HTTPAuthorizationCredentials | None) -> str:
    """The install token the request presents; refused before any database work if none."""
    if auth is None:
        raise Unauthorized("missing install token (Authorization: Bearer ...); enroll first")
    return auth.credentials


def admission(
    request: Request, conn: Connection, token: str, now: datetime
) -> tuple[Install, dict[str, Any]]:
    """The install holding ``token``, if it may sync now, read on ``conn`` (the primary's), and
    what its admission changes in its enrollment (see enrollments.admission_writes)."""
    row = enrollments.find(conn, token)
    # From here on, a refusal of this request is recorded against the install.
    request.state.install_id = row.install_id
    machine = _machine(request)
    return enrollments.admit(row, now, machine), enrollments.admission_writes(row, now, machine)


def write_admission(engine: Engine, install: Install, values: dict[str, Any]) -> None:
    """Commit an admission's writes, if any, in a short transaction of their own."""
    if values:
        with engine.begin() as conn:
            enrollments.write_admission(conn, install.install_id, values)


def autocommit(engine: Engine) -> Connection:
    """A connection for single reads: no BEGIN and COMMIT around them."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _machine(request: Request) -> str | None:
    """The machine nonce the install presented; anything but a well-formed one is none."""
    value = request.headers.get(MACHINE_HEADER, "")
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


def current_install(request: Request, engine: DbEngine, auth: Bearer, now: Now) -> Install:
    token = install_token(auth)
    with autocommit(engine) as conn:
        install, writes = admission(request, conn, token, now)
    write_admission(engine, install, writes)
    return install


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
CurrentStaff = Annotated[Staff, Depends(current_staff)]
CurrentAdmin = Annotated[Staff, Depends(current_admin)]
