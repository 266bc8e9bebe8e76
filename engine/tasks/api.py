"""The task API: start, list, inspect and cancel tasks, fetch or open their results, and follow
their progress over a WebSocket.

WebSocket ``/api/tasks/ws`` (optionally ``?task=ID``) sends ``{"type": "snapshot", "tasks": [...]}``
once, then ``{"type": "task", "task": {...}}`` for every change: progress (done, total, step,
rate, eta) at most about ten times a second per task, and each change of state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Query, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from starlette.websockets import WebSocketDisconnect

from engine.tasks import opener, views
from engine.tasks.manager import TaskManager
from engine.tasks.model import Task
from engine.tasks.report_rows import ReportReader

log = logging.getLogger(__name__)

# Events a slow WebSocket client may fall behind by before it is disconnected.
MAX_BACKLOG = 1000


class TaskRequest(BaseModel):
    tool: str
    function: str | None = None
    inputs: list[Path] = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


def submit(tasks: TaskManager, request: TaskRequest, username: str) -> Task:
    """Start a task; raises UnknownTool, BadParams or TasksClosed (the app's handler answers
    them)."""
    return tasks.submit(
        request.tool,
        request.inputs,
        request.params,
        username=username,
        function=request.function,
    )


def router(
    tasks: TaskManager, who: Callable[[], str], reports: ReportReader | None = None
) -> APIRouter:
    """``who()`` names the user a new task is recorded under; callers never choose it."""
    api = APIRouter(prefix="/api/tasks")
    reader = reports or ReportReader()

    @api.post("", status_code=202)
    def start(request: TaskRequest) -> dict[str, Any]:
        task = submit(tasks, request, who())
        return {"task_id": task.id, "operation_id": task.id, "state": task.state}

    @api.get("")
    def listing(
        status: str | None = None,
        tool: str | None = None,
        text: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        running = [t.as_dict() for t in tasks.active() if tool in (None, "", t.tool)]
        history = views.history(
            tasks, status=status, tool=tool, text=text, limit=min(max(limit, 1), 1000)
        )
        return {"running": running, "history": history}

    @api.get("/{task_id}")
    def one(task_id: str) -> dict[str, Any]:
        return views.detail(tasks, task_id)

    @api.post("/{task_id}/cancel")
    def cancel(task_id: str) -> dict[str, Any]:
        return tasks.cancel(task_id).as_dict()

    @api.get("/{task_id}/outputs/{index}")
    def download(task_id: str, index: int) -> StreamingResponse:
        # Served from the file opened and checked here, never from the path again.
        handle, path = tasks.results.open_output(task_id, index)
        return StreamingResponse(
            _chunks(handle),
            media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            headers={
                "Content-Disposition": _attachment(path.name),
                "Content-Length": str(os.fstat(handle.fileno()).st_size),
            },
            background=BackgroundTask(handle.close),  # also when the client went away early
        )

    @api.get("/{task_id}/outputs/{index}/rows")
    def report_rows(
        task_id: str,
        index: int,
        offset: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=1000),
        sort: str | None = None,
        desc: bool = False,
        q: str = Query("", max_length=500),
    ) -> dict[str, Any]:
        """One page of a report output's rows (read once, then served from memory)."""
        page = reader.page(
            tasks.results.output(task_id, index),
            offset=offset,
            limit=limit,
            sort=sort,
            descending=desc,
            text=q,
        )
        return {"columns": page.columns, "rows": page.rows, "total": page.total, "offset": offset}

    @api.post("/{task_id}/outputs/{index}/open")
    def open_output(task_id: str, index: int, folder: bool = False) -> dict[str, str]:
        opened = opener.open_path(tasks.results.output(task_id, index), folder=folder)
        return {"opened": str(opened)}

    @api.websocket("/ws")
    async def progress(websocket: WebSocket, task: str | None = None) -> None:
        await websocket.accept()
        await _stream(websocket, tasks, task)

    return api


def _chunks(handle: BinaryIO, size: int = 1 << 16) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(size):
            yield chunk


def _attachment(name: str) -> str:
    quoted = quote(name)
    if quoted == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename*=utf-8''{quoted}"


async def _stream(websocket: WebSocket, tasks: TaskManager, only: str | None) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Task | None] = asyncio.Queue()

    def push(task: Task) -> None:  # called from the manager's threads
        if only is None or task.id == only:
            loop.call_soon_threadsafe(_offer, queue, task)

    unsubscribe = tasks.subscribe(push)
    # Reading is how a closed connection (or the server shutting down) becomes visible.
    reader = asyncio.create_task(_until_disconnect(websocket))
    try:
        snapshot = [t.as_dict() for t in tasks.session() if only in (None, t.id)]
        await websocket.send_json({"type": "snapshot", "tasks": snapshot})
        while True:
            getter = asyncio.create_task(queue.get())
            await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if not getter.done():
                getter.cancel()
                return
            event = getter.result()
            if event is None:
                await websocket.close(code=1013, reason="too far behind")
                return
            await websocket.send_json({"type": "task", "task": event.as_dict()})
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        unsubscribe()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


def _offer(queue: asyncio.Queue[Task | None], task: Task) -> None:
    if queue.qsize() >= MAX_BACKLOG:
        queue.put_nowait(None)
    else:
        queue.put_nowait(task)


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def wait_for(tasks: TaskManager, task_id: str) -> Task:
    """Await a task's end without holding the event loop (for submit-and-wait routes)."""
    return await run_in_threadpool(tasks.wait, task_id)
