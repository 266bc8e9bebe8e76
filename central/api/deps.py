"""FastAPI dependencies: the database engine, the pushing install, the signed-in administrator."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from sqlalchemy import Engine

from central import accounts
from central.accounts import Install
from central.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False)
_basic = HTTPBasic(auto_error=False)


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


DbEngine = Annotated[Engine, Depends(get_engine)]


def current_install(
    engine: DbEngine,
    auth: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Install:
    if auth is None:
        raise Unauthorized("missing install token (Authorization: Bearer ...); enroll first")
    with engine.connect() as conn:
        return accounts.install_for_token(conn, auth.credentials)


def current_admin(
    engine: DbEngine, auth: Annotated[HTTPBasicCredentials | None, Depends(_basic)]
) -> str:
    if auth is None:
        raise Unauthorized("administrator sign-in required (HTTP Basic)")
    with engine.connect() as conn:
        profile = accounts.check_password(conn, auth.username, auth.password)
    if profile["role"] != "admin":
        raise Forbidden(f"{auth.username!r} is not an administrator")
    return auth.username


CurrentInstall = Annotated[Install, Depends(current_install)]
CurrentAdmin = Annotated[str, Depends(current_admin)]
