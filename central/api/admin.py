"""Administration: staff sessions, users, installs, the conflict log.

Leads may call every GET; every write needs an administrator. Writes to the shared ``users``
table go through the merge path, so they replicate like any install's change.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Engine, select

from central import accounts, enrollments, notices, staff
from central.api.deps import CurrentAdmin, CurrentStaff, DbEngine, Now, client_address
from central.api.models import (
    ERROR_RESPONSES,
    NO_NUL,
    InstallId,
    InstallStatus,
    Me,
    NewPassword,
    NewUser,
    PasswordOut,
    Rebind,
    SessionOut,
    SignIn,
    UserChanges,
    UserName,
    UserOut,
)
from central.errors import Conflict
from central.tables import merge_conflicts

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=ERROR_RESPONSES)


# --- sessions -----------------------------------------------------------------------------------
@router.post("/session")
def sign_in(body: SignIn, request: Request, engine: DbEngine, now: Now) -> SessionOut:
    idle = request.app.state.settings.staff_idle_timeout_s
    idle_for, throttle = timedelta(seconds=idle), request.app.state.throttle
    with throttle.checking(client_address(request), body.username), engine.begin() as conn:
        token, user = staff.sign_in(conn, body.username, body.password, now, idle_for)
    return SessionOut(
        token=token,
        username=user.username,
        role=user.role,
        display_name=user.display_name,
        idle_timeout_s=idle,
    )


@router.delete("/session", status_code=204)
def sign_out(engine: DbEngine, user: CurrentStaff) -> Response:
    with engine.begin() as conn:
        staff.sign_out(conn, user)
    return Response(status_code=204)


@router.get("/me")
def me(user: CurrentStaff) -> Me:
    return Me(username=user.username, role=user.role, display_name=user.display_name)


# --- users --------------------------------------------------------------------------------------
def _not_self(admin: staff.Staff, username: str, what: str) -> None:
    if username == admin.username:
        raise Conflict(f"an administrator cannot {what} their own account")


@router.get("/users")
def list_users(engine: DbEngine, user: CurrentStaff) -> list[UserOut]:
    with engine.connect() as conn:
        return [UserOut(**u.as_dict()) for u in accounts.list_users(conn)]


@router.get("/users/{username}")
def get_user(username: UserName, engine: DbEngine, user: CurrentStaff) -> UserOut:
    with engine.connect() as conn:
        return UserOut(**accounts.get_user(conn, username).as_dict())


@router.post("/users", status_code=201)
def create_user(body: NewUser, engine: DbEngine, admin: CurrentAdmin) -> UserOut:
    with engine.begin() as conn:
        created = accounts.create_user(
            conn,
            body.username,
            body.password,
            display_name=body.display_name,
            team=body.team,
            language=body.language,
            role=body.role,
        )
        notices.notify_merged(conn)
    return UserOut(**created.as_dict())


@router.patch("/users/{username}")
def edit_user(
    username: UserName, body: UserChanges, engine: DbEngine, admin: CurrentAdmin
) -> UserOut:
    changes = body.model_dump(exclude_none=True)
    if changes.get("role", "admin") != "admin":
        _not_self(admin, username, "demote")
    with engine.begin() as conn:
        edited = accounts.update_user(conn, username, changes)
        notices.notify_merged(conn)
    return UserOut(**edited.as_dict())


def _set_active(engine: Engine, username: str, active: bool) -> UserOut:
    with engine.begin() as conn:
        changed = accounts.set_active(conn, username, active)
        if not active:
            staff.end_sessions(conn, username)
        notices.notify_merged(conn)
    return UserOut(**changed.as_dict())


@router.post("/users/{username}/disable")
def disable_user(username: UserName, engine: DbEngine, admin: CurrentAdmin) -> UserOut:
    _not_self(admin, username, "disable")
    return _set_active(engine, username, False)


@router.post("/users/{username}/enable")
def enable_user(username: UserName, engine: DbEngine, admin: CurrentAdmin) -> UserOut:
    return _set_active(engine, username, True)


@router.post("/users/{username}/password")
def reset_password(
    username: UserName, body: NewPassword, engine: DbEngine, admin: CurrentAdmin
) -> PasswordOut:
    password = body.password or secrets.token_urlsafe(12)
    with engine.begin() as conn:
        accounts.get_user(conn, username)
        accounts.set_password(conn, username, password)
        staff.end_sessions(conn, username, keep=admin.token_hash)
    return PasswordOut(password=None if body.password else password)


@router.delete("/users/{username}", status_code=204)
def delete_user(username: UserName, engine: DbEngine, admin: CurrentAdmin, now: Now) -> Response:
    _not_self(admin, username, "delete")
    with engine.begin() as conn:
        accounts.delete_user(conn, username, now)
        staff.end_sessions(conn, username)
        notices.notify_merged(conn)
    return Response(status_code=204)


# --- installs -----------------------------------------------------------------------------------
@router.post("/installs/{install_id}/revoke")
def revoke(install_id: InstallId, engine: DbEngine, admin: CurrentAdmin, now: Now) -> InstallStatus:
    with engine.begin() as conn:
        return InstallStatus(**enrollments.revoke(conn, install_id, now))


@router.post("/installs/{install_id}/restore")
def restore(install_id: InstallId, engine: DbEngine, admin: CurrentAdmin) -> InstallStatus:
    with engine.begin() as conn:
        return InstallStatus(**enrollments.restore(conn, install_id))


@router.post("/installs/{install_id}/reset")
def reset(
    install_id: InstallId, engine: DbEngine, admin: CurrentAdmin, body: Rebind | None = None
) -> InstallStatus:
    """End the install's token: its next enrollment (by its user, or the one named) needs none."""
    with engine.begin() as conn:
        return InstallStatus(**enrollments.reset(conn, install_id, body and body.username))


# --- the conflict log ---------------------------------------------------------------------------
@router.get("/conflicts")
def conflicts(
    engine: DbEngine,
    user: CurrentStaff,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    table: Annotated[str | None, Query(max_length=128, pattern=NO_NUL)] = None,
) -> list[dict[str, Any]]:
    """The merge decisions between two sites' values, newest first."""
    shown = [c for c in merge_conflicts.columns if c.name != "pk"]  # row_key is the readable key
    query = select(*shown).order_by(merge_conflicts.c.id.desc()).limit(limit)
    if table:
        query = query.where(merge_conflicts.c.tbl == table)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    # site ids as hex, like install ids everywhere else
    return [
        {key: bytes(v).hex() if isinstance(v, bytes | memoryview) else v for key, v in row.items()}
        for row in rows
    ]
