"""Central's FastAPI application: sync protocol, enrollment, administration."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from central import enrollments
from central.api import admin, enroll, publications, sync
from central.api.body_limit import DeclaredBodyLimit
from central.db import DatabaseUnavailable, is_unavailable, unavailable
from central.errors import CentralError, TooManyRequests
from central.group_commit import GroupCommit
from central.pull_log import PullLog
from central.settings import CentralSettings
from central.throttle import SignInThrottle
from replicator.wire import ErrorBody

log = logging.getLogger(__name__)

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, detail=detail).model_dump(), status_code=status)


def _now() -> datetime:
    return datetime.now(UTC)


async def _record_refusal(request: Request, status: int, code: str) -> None:
    """Keep the latest refusal of a known install's request (the console's sync health)."""
    install_id = getattr(request.state, "install_id", None)
    if install_id is None or status >= 500:
        return
    app = request.app

    def record() -> None:
        with app.state.engine.begin() as conn:
            enrollments.record_refusal(conn, install_id, code, app.state.clock())

    try:
        await run_in_threadpool(record)
    except SQLAlchemyError as exc:  # the refusal itself must still reach the install
        log.warning("could not record the refusal of install %s: %s", install_id, exc)


NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(
    settings: CentralSettings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = _now,
    throttle: SignInThrottle | None = None,
    read_engine: Engine | None = None,
) -> FastAPI:
    """Central's app on ``engine``; pulls read ``read_engine`` (a streaming replica) if given."""
    group_commit = GroupCommit(engine)
    pull_log = PullLog(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        pull_log.start()
        yield
        await run_in_threadpool(group_commit.close)
        await run_in_threadpool(pull_log.close)

    app = FastAPI(
        title="LocaNext central",
        version="0.1.0",
        lifespan=lifespan,
        # Central exports no OpenTelemetry; left on, FastAPI asks on every request whether a
        # provider is configured (environment lookups), measured at ~6% of central's CPU.
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.read_engine = read_engine or engine
    app.state.group_commit = group_commit
    app.state.pull_log = pull_log
    app.state.clock = clock
    app.state.throttle = throttle or SignInThrottle()

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
        await _record_refusal(request, exc.status, exc.code)
        response = _error(exc.status, exc.code, exc.detail)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        log.warning("%s %s refused: invalid %s", request.method, request.url.path, where)
        await _record_refusal(request, 422, "invalid_request")
        return _error(422, "invalid_request", f"{where}: {first['msg']}")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        await _record_refusal(request, exc.status_code, code)
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not is_unavailable(exc):
            raise exc  # a failed statement, not the database going away: a plain 500
        log.error("%s %s failed: %s", request.method, request.url.path, unavailable(exc))
        return _error(
            DatabaseUnavailable.status,
            DatabaseUnavailable.code,
            "central's database is unavailable or has no free connection; try again later",
        )

    @app.get("/api/health")
    def health() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok"}

    # Every body has a limit, enforced while it is read, before authentication: the push limit
    # on the sync routes, a small one everywhere else. A declared Content-Length over it is
    # refused before anything runs.
    def body_limit(path: str) -> int:
        sync_route = path.startswith(sync.router.prefix)
        return settings.max_body_bytes if sync_route else settings.max_request_bytes

    app.add_middleware(DeclaredBodyLimit, limit_for=body_limit)
    app.include_router(sync.router, max_body_size=settings.max_body_bytes)
    for router in (enroll.router, admin.router, publications.router):
        app.include_router(router, max_body_size=settings.max_request_bytes)
    return app
