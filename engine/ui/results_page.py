"""A run's own page, ``/results/<id>``: what it was, how it ended, and its results as the tool's
view (it works for any run this PC recorded, after a restart too)."""

from __future__ import annotations

from nicegui import ui

from engine.context import EngineContext
from engine.operations import RunState
from engine.tasks import views
from engine.tasks.manager import UnknownTask
from engine.ui.layout import STATE_COLORS, header
from engine.ui.results import ResultView


def _view(ctx: EngineContext, task_id: str) -> None:
    try:
        item = views.detail(ctx.tasks, task_id)
    except UnknownTask:
        ui.label(f"No run {task_id} on this PC.").classes("text-subtitle1").props(
            "data-testid=results-unknown"
        )
        ui.link("Back to the Tasks history", "/tasks")
        return
    state = RunState(item["state"])
    with ui.row().classes("items-center gap-4"):
        ui.badge(state, color=STATE_COLORS.get(state, "grey")).props("data-testid=results-state")
        ui.label(f"{item['tool']} · {item['function']}").classes("text-h6")
        if item.get("started"):
            ui.label(str(item["started"]).replace("T", " ")[:19] + " UTC").classes("lx-muted")
        ui.label(item.get("username") or "").classes("lx-muted")
    if item.get("input_files"):
        ui.label("in: " + ", ".join(item["input_files"][:10])).classes("text-caption")
    if not state.final:
        ui.label("Still running; the results show here when it ends.").classes("lx-muted")
        ui.timer(1.0, lambda: _reload_when_done(ctx, task_id))
        return
    if item.get("error"):
        ui.label(item["error"]).classes("text-negative").props("data-testid=results-error")
    if state is RunState.SUCCEEDED:
        ResultView(
            ctx,
            task_id=task_id,
            tool=item["tool"],
            function=item["function"],
            summary=item.get("summary") or {},
            outputs=item.get("outputs") or [],
            warnings=item.get("warnings") or [],
        )


def _reload_when_done(ctx: EngineContext, task_id: str) -> None:
    task = ctx.tasks.get(task_id)
    if task is None or task.finished:
        ui.navigate.reload()


def mount(ctx: EngineContext) -> None:
    @ui.page("/results/{task_id}")
    def results_page(task_id: str) -> None:
        header(ctx, "/tasks")
        with ui.column().classes("w-full p-4 gap-4"):
            _view(ctx, task_id)
