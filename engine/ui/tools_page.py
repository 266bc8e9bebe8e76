"""The Apps page: pick a tool and its function, give input files and parameters, start it as a
task, watch its progress live, cancel it, and find its result."""

from __future__ import annotations

import json

from nicegui import ui

from engine.context import EngineContext
from engine.errors import EngineError
from engine.operations import RunState
from engine.tasks.model import Task
from engine.tools.base import Tool
from engine.tools.registry import registry
from engine.ui.layout import TaskProgress, header, output_files
from engine.ui.params_form import ParamsForm

# The page polls the task manager this often; NiceGUI pushes the changes over its WebSocket.
REFRESH_SECONDS = 0.25


class ToolsView:
    def __init__(self, ctx: EngineContext, tool: str | None, function: str | None) -> None:
        self._ctx = ctx
        self._tools = registry()
        name = tool if tool in self._tools else sorted(self._tools)[0]
        self._task_id: str | None = None
        self._progress: TaskProgress | None = None
        self._form: ParamsForm | None = None
        self._result: ui.column | None = None
        self._shown_final = False
        with ui.card().classes("w-full"):
            ui.label("Run a tool").classes("text-h6")
            with ui.row().classes("w-full gap-4"):
                self._tool = (
                    ui.select(
                        {n: t.title for n, t in sorted(self._tools.items())},
                        label="Tool",
                        value=name,
                        on_change=lambda: self._choose_tool(None),
                    )
                    .props("data-testid=tool-select")
                    .classes("min-w-64")
                )
                self._function = (
                    ui.select({}, label="Function", on_change=self._show_function)
                    .props("data-testid=function-select")
                    .classes("min-w-64")
                )
            self._description = ui.label("").props("data-testid=tool-description")
            self._inputs = (
                ui.textarea(
                    "Input files", placeholder="one path per line, e.g. C:\\loc\\strings_ko.txt"
                )
                .classes("w-full")
                .props("data-testid=tool-inputs")
            )
            ui.label("Parameters").classes("text-subtitle1")
            self._params = ui.column().classes("w-full").props("data-testid=tool-params")
            self._error = ui.label("").classes("text-negative").props("data-testid=start-error")
            ui.button("Start", on_click=self._start, icon="play_arrow").props(
                "data-testid=start-task"
            )
        self._current = ui.card().classes("w-full").props("data-testid=current-task")
        self._current.set_visibility(False)
        self._choose_tool(function)
        ui.timer(REFRESH_SECONDS, self._refresh)

    def _selected(self) -> Tool:
        return self._tools[self._tool.value]

    def _choose_tool(self, function: str | None) -> None:
        tool = self._selected()
        names = [f.name for f in tool.functions]
        self._function.set_options(
            {f.name: f.title for f in tool.functions},
            value=function if function in names else names[0],
        )
        self._show_function()

    def _show_function(self) -> None:
        tool = self._selected()
        fn = tool.function(self._function.value) or tool.functions[0]
        self._description.set_text(f"{tool.description} {fn.description}")
        self._params.clear()
        with self._params:
            self._form = ParamsForm(fn.params)

    def _start(self) -> None:
        inputs = [line.strip() for line in (self._inputs.value or "").splitlines() if line.strip()]
        if not inputs:
            self._error.set_text("Give at least one input file (one path per line).")
            return
        try:
            task = self._ctx.tasks.submit(
                self._tool.value,
                inputs,
                self._form.values() if self._form else {},
                username=self._ctx.username,
                function=self._function.value,
            )
        except EngineError as exc:
            self._error.set_text(str(exc))
            return
        self._error.set_text("")
        self._follow(task)

    def _follow(self, task: Task) -> None:
        self._task_id = task.id
        self._current.clear()
        self._current.set_visibility(True)
        with self._current:
            self._progress = TaskProgress(task, "current-task", lambda: self._cancel(task.id))
            self._result = ui.column().classes("w-full").props("data-testid=task-result")
        self._shown_final = False

    def _cancel(self, task_id: str) -> None:
        self._ctx.tasks.cancel(task_id)

    def _refresh(self) -> None:
        if self._task_id is None or self._progress is None or self._shown_final:
            return
        task = self._ctx.tasks.get(self._task_id)
        if task is None:
            return
        self._progress.update(task)
        if task.finished and self._result is not None:
            self._shown_final = True
            self._show_result(task, self._result)

    def _show_result(self, task: Task, into: ui.column) -> None:
        with into:
            if task.error:
                ui.label(task.error).classes("text-negative").props("data-testid=task-error")
            for warning in task.warnings:
                ui.label(f"warning: {warning}").classes("text-warning")
            if task.state is RunState.SUCCEEDED:
                summary = json.dumps(task.summary, ensure_ascii=False)
                ui.label(summary).classes("font-mono").props("data-testid=task-summary")
                output_files(task.id, [str(p) for p in task.outputs], "task-output")
            ui.link("See it in the Tasks history", "/tasks").props("data-testid=to-tasks")


def mount(ctx: EngineContext) -> None:
    @ui.page("/tools")
    def tools_page(tool: str | None = None, function: str | None = None) -> None:
        header(ctx)
        with ui.column().classes("w-full p-4 gap-4"):
            ToolsView(ctx, tool, function)
