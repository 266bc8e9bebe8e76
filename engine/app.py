"""The engine's HTTP surface: a small JSON API on 127.0.0.1 and the NiceGUI pages mounted on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from engine import __version__, sync_state
from engine.db import Database
from engine.operations import OperationLog
from engine.tasks import TaskManager
from engine.tasks import api as task_api
from engine.tools.registry import registry


class ToolRunRequest(BaseModel):
    inputs: list[Path] = Field(min_length=1)
    function: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    username: str | None = None


class EngineContext:
    """What the HTTP layer and the pages need: the database, the operation log, the task
    manager, who is working."""

    def __init__(
        self, db: Database, username: str, data_dir: Path, tasks: TaskManager | None = None
    ) -> None:
        self.db = db
        self.data_dir = data_dir
        self.operations = OperationLog(db)
        self.username = username
        self.tasks = tasks or TaskManager(self.operations, data_dir)

    def sync_status(self) -> sync_state.SyncStatus:
        with self.db.read() as conn:
            return sync_state.status(conn)

    def users(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            cursor = conn.execute(
                "SELECT username, display_name, team, language, role, active FROM users"
                " ORDER BY username"
            )
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def create_app(ctx: EngineContext, *, with_ui: bool = True) -> FastAPI:
    app = FastAPI(title="LocaNext engine", version=__version__)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "install_id": ctx.db.install_id, "version": __version__}

    @app.get("/api/operations")
    def operations(limit: int = 50) -> list[dict[str, Any]]:
        return ctx.operations.recent(min(max(limit, 1), 1000))

    @app.get("/api/tools")
    def tools() -> list[dict[str, Any]]:
        return [
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "functions": [f.name for f in t.functions],
            }
            for t in registry().values()
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
            "summary": done.summary if done.state == "succeeded" else None,
        }

    app.include_router(task_api.router(ctx.tasks, ctx.username))

    @app.get("/api/sync")
    def sync() -> dict[str, object]:
        return ctx.sync_status().as_dict()

    @app.get("/api/users")
    def users() -> list[dict[str, Any]]:
        return ctx.users()

    if with_ui:
        from engine.ui import pages

        pages.mount(app, ctx)
    return app
