"""The Apps page: pick a tool and its function, give input files and parameters, start it as a
task, watch its progress live, cancel it, and find its result."""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request

from engine.context import EngineContext
from engine.dictionaries import DictionaryStore
from engine.errors import EngineError
from engine.glossary import Glossary
from engine.operations import RunState
from engine.tasks.model import Task
from engine.tools.base import Tool
from engine.ui.file_picker import Picker
from engine.ui.layout import TaskProgress, header
from engine.ui.params_form import ParamsForm
from engine.ui.results import ResultView

# The page polls the task manager this often; NiceGUI pushes the changes over its WebSocket.
REFRESH_SECONDS = 0.25


def suggestions(ctx: EngineContext, tool: str) -> dict[str, list[str]]:
    """Known values for fields that name things: the tool's dictionaries, and the games and
    languages of the team glossary and of Quick Search's dictionaries."""
    store = "xls_transfer" if tool == "xls_transfer" else "quick_search"
    names = [d["name"] for d in DictionaryStore(ctx.data_dir, store).names()]
    games, languages = Glossary(ctx.db).facets()
    for info in DictionaryStore(ctx.data_dir, "quick_search").names():
        meta = info.get("meta") or {}
        games.append(str(meta.get("game") or ""))
        languages.append(str(meta.get("language") or ""))
    return {
        "dictionary": names,
        "reference": names,
        "game": sorted({g for g in games if g}),
        "language": sorted({lang for lang in languages if lang}),
    }


class ToolsView:
    def __init__(
        self,
        ctx: EngineContext,
        tool: str | None,
        function: str | None,
        values: dict[str, str] | None = None,
    ) -> None:
        self._ctx = ctx
        self._values = values or {}
        self._picker = Picker(ctx)
        from engine.tools.registry import registry  # numpy, openpyxl...: not at start

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
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                self._inputs = (
                    ui.textarea(
                        "Input files and folders",
                        placeholder="Add files or a folder, or paste paths, one per line",
                    )
                    .classes("grow")
                    .props("autogrow data-testid=tool-inputs")
                )
                with ui.column().classes("gap-1"):
                    ui.button("Add files", icon="note_add", on_click=self._add_files).props(
                        "no-caps outline data-testid=add-files"
                    )
                    ui.button(
                        "Add a folder", icon="create_new_folder", on_click=self._add_folder
                    ).props("no-caps outline data-testid=add-folder")
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
            self._form = ParamsForm(
                fn.params,
                values=self._values,
                suggestions=suggestions(self._ctx, tool.name),
                picker=self._picker,
            )
        self._values = {}  # a link's values fill the first form only

    def _append_inputs(self, paths: list[str]) -> None:
        lines = [line for line in (self._inputs.value or "").splitlines() if line.strip()]
        self._inputs.set_value("\n".join(dict.fromkeys([*lines, *paths])))

    async def _add_files(self) -> None:
        self._append_inputs(await self._picker.files("Choose input files"))

    async def _add_folder(self) -> None:
        folder = await self._picker.folder("Choose an input folder")
        if folder:
            self._append_inputs([folder])

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
            if task.state is RunState.SUCCEEDED:
                ResultView(
                    self._ctx,
                    task_id=task.id,
                    tool=task.tool,
                    function=task.function,
                    summary=task.summary,
                    outputs=[str(p) for p in task.outputs],
                    warnings=list(task.warnings),
                )
            else:
                for warning in task.warnings:
                    ui.label(f"warning: {warning}").classes("text-warning")
            with ui.row().classes("gap-4"):
                ui.link("See it in the Tasks history", "/tasks").props("data-testid=to-tasks")
                ui.link("Open the results on their own page", f"/results/{task.id}").props(
                    "data-testid=to-results"
                )


def mount(ctx: EngineContext) -> None:
    @ui.page("/tools")
    def tools_page(request: Request, tool: str | None = None, function: str | None = None) -> None:
        header(ctx, "/tools")
        # Other query values start the form's fields (e.g. a dictionary's name to rebuild).
        values = {k: v for k, v in request.query_params.items() if k not in ("tool", "function")}
        with ui.column().classes("w-full p-4 gap-4"):
            ToolsView(ctx, tool, function, values)
