"""Central's FastAPI application: sync protocol, enrollment, administration."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text

from central.api import admin, enroll, sync
from central.errors import CentralError
from central.settings import CentralSettings
from replicator.wire import ErrorBody

log = logging.getLogger(__name__)


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, detail=detail).model_dump(), status_code=status)


def create_app(settings: CentralSettings, engine: Engine) -> FastAPI:
    app = FastAPI(title="LocaNext central", version="0.1.0")
    app.state.settings = settings
    app.state.engine = engine

    @app.exception_handler(CentralError)
    async def central_error(request: Request, exc: CentralError) -> JSONResponse:
        log.warning(
            "%s %s refused (%d %s): %s",
            request.method,
            request.url.path,
            exc.status,
            exc.code,
            exc.detail,
        )
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        response = _error(exc.status, exc.code, exc.detail)
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        log.warning("%s %s refused: invalid %s", request.method, request.url.path, where)
        return _error(422, "invalid_request", f"{where}: {first['msg']}")

    @app.get("/api/health")
    def health() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.include_router(enroll.router)
    app.include_router(sync.router)
    app.include_router(admin.router)
    return app
