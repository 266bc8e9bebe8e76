"""The engine's JSON API on 127.0.0.1 (the runtime mounts the NiceGUI pages on the same app)."""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from engine import __version__
from engine.context import EngineContext
from engine.errors import EngineError, NoSync
from engine.operations import RunState
from engine.tasks import api as task_api

log = logging.getLogger(__name__)


class ErrorBody(BaseModel):
    """Every 4xx/5xx the engine answers on purpose: a stable code and a sentence for people (the
    same shape as central's answers)."""

    code: str
    detail: str


def _error(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(ErrorBody(code=code, detail=detail).model_dump(), status_code=status)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(EngineError)
    async def engine_error(request: Request, exc: EngineError) -> JSONResponse:
        log.warning(
            "%s %s refused (%d %s): %s",
            request.method,
            request.url.path,
            exc.status,
            exc.code,
            exc.detail,
        )
        return _error(exc.status, exc.code, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        log.warning("%s %s refused: invalid %s", request.method, request.url.path, where)
        return _error(422, "invalid_request", f"{where}: {first['msg']}")


class ToolRunRequest(BaseModel):
    inputs: list[Path] = Field(min_length=1)
    function: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


def create_app(ctx: EngineContext) -> FastAPI:
    """The JSON API; the runtime mounts the pages on it."""
    app = FastAPI(title="LocaNext engine", version=__version__)
    _handle_errors(app)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "install_id": ctx.db.install_id, "version": __version__}

    @app.get("/api/operations")
    def operations(limit: int = 50) -> list[dict[str, Any]]:
        return ctx.operations.recent(min(max(limit, 1), 1000))

    @app.get("/api/tools")
    def tools() -> list[dict[str, Any]]:
        # The tools import numpy, openpyxl and more: loaded at first use, not at start.
        from engine.tools.registry import registry as tools_registry

        return [
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "functions": [f.name for f in t.functions],
            }
            for t in tools_registry().values()
        ]

    @app.post("/api/tools/{name}/run")
    async def run(name: str, request: ToolRunRequest) -> dict[str, Any]:
        """Submit a task and wait for its end (the task API starts one without waiting)."""
        task = await run_in_threadpool(
            task_api.submit,
            ctx.tasks,
            task_api.TaskRequest(tool=name, **request.model_dump()),
            ctx.username,
        )
        done = await task_api.wait_for(ctx.tasks, task.id)
        return {
            "operation_id": done.id,
            "status": done.state,
            "error": done.error,
            "summary": done.summary if done.state is RunState.SUCCEEDED else None,
        }

    app.include_router(task_api.router(ctx.tasks, lambda: ctx.username, ctx.reports))

    @app.get("/api/sync")
    def sync() -> dict[str, object]:
        return ctx.sync_status().as_dict()

    @app.post("/api/sync/now")
    def sync_now() -> dict[str, object]:
        """A round now, even when sync waits for the user (this is the user acting)."""
        if ctx.linker is None:
            raise NoSync("this app runs without sync (locanext sync does it)")
        ctx.linker.sync_now()
        return ctx.sync_status().as_dict()

    @app.get("/api/account")
    def account() -> dict[str, object]:
        state, notice = ctx.account_state(), ctx.notice()
        return {
            "user": state.user,
            "signed_in": state.signed_in,
            "signing_out": state.signing_out,
            "remember": state.remember,
            "central_url": state.central_url,
            "notice": None if notice is None else asdict(notice),
        }

    @app.get("/api/users")
    def users() -> list[dict[str, Any]]:
        return ctx.users()

    return app
