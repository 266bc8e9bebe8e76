"""The Tasks view: tasks running now (live progress, Cancel) and the history of runs, filtered by
status, tool and text, each finished run with its output files to open or download."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from engine.context import EngineContext
from engine.operations import RECORDED
from engine.tasks import views
from engine.ui.layout import STATE_COLORS, TaskProgress, header, output_files

ANY = "any"
RUNNING_REFRESH = 0.5
HISTORY_REFRESH = 2.0
HISTORY_LIMIT = 100
# Inputs listed by name on a history row before the rest is summed up.
SHOWN_INPUTS = 5


def _inputs_text(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_INPUTS])
    more = len(names) - SHOWN_INPUTS
    return f"in: {shown}" + (f" and {more} more" if more > 0 else "")


def _history_row(row: dict[str, Any]) -> None:
    testid = f"history-{row['id']}"
    with ui.card().classes("w-full").props(f"data-testid={testid}"):
        with ui.row().classes("items-center gap-4"):
            color = STATE_COLORS.get(row["status"], "grey")
            ui.badge(row["status"], color=color).props(f"data-testid={testid}-status")
            ui.label(f"{row['tool']} · {row['function']}").classes("text-subtitle2")
            ui.label((row["started"] or "").replace("T", " ")[:19] + " UTC")
            if row["duration"] is not None:
                ui.label(f"{row['duration']:.1f} s")
            if row["rows_in"] is not None:
                ui.label(f"rows {row['rows_in']} → {row['rows_out']}")
            ui.label(row["username"] or "")
        if row["input_files"]:
            ui.label(_inputs_text(row["input_files"])).classes("text-caption")
        if row["error"]:
            ui.label(row["error"]).classes("text-negative").props(f"data-testid={testid}-error")
        for warning in row["warnings"]:
            ui.label(f"warning: {warning}").classes("text-warning")
        if row["status"] == "succeeded" and (row["outputs"] or row["summary"]):
            ui.link("View results", f"/results/{row['id']}").props(f"data-testid={testid}-results")
        if row["outputs"]:
            output_files(row["id"], row["outputs"], f"{testid}-output")
        elif row["output_files"]:  # run on another PC, or before paths were kept
            ui.label("out: " + ", ".join(row["output_files"])).classes("text-caption")


class TasksView:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._bars: dict[str, TaskProgress] = {}
        self._history_key: object = None
        with ui.row().classes("items-end gap-4"):
            statuses = {ANY: "Any status", **{s: str(s) for s in RECORDED}}
            self._status = (
                ui.select(statuses, label="Status", value=ANY, on_change=self._refilter)
                .props("data-testid=filter-status")
                .classes("min-w-40")
            )
            from engine.tools.registry import registry  # numpy, openpyxl...: not at start

            tools = {ANY: "Any tool", **{n: t.title for n, t in sorted(registry().items())}}
            self._tool = (
                ui.select(tools, label="Tool", value=ANY, on_change=self._refilter)
                .props("data-testid=filter-tool")
                .classes("min-w-48")
            )
            self._text = ui.input(
                "Search", placeholder="file, user, error...", on_change=self._refilter
            ).props("clearable data-testid=filter-text")
        ui.label("Running").classes("text-h6")
        self._running = ui.column().classes("w-full").props("data-testid=running-tasks")
        ui.label("History").classes("text-h6")
        self._history = ui.column().classes("w-full").props("data-testid=task-history")
        self._refresh_running(force=True)  # draws the empty state too
        self._refresh_history()
        ui.timer(RUNNING_REFRESH, self._refresh_running)
        ui.timer(HISTORY_REFRESH, self._refresh_history)

    def _filter(self, select: ui.select) -> str | None:
        return None if select.value == ANY else select.value

    def _refilter(self) -> None:
        self._refresh_running(force=True)
        self._refresh_history()

    def _refresh_running(self, force: bool = False) -> None:
        tool = self._filter(self._tool)
        active = [t for t in self._ctx.tasks.active() if tool in (None, t.tool)]
        if not force and [t.id for t in active] == list(self._bars):
            for task in active:
                self._bars[task.id].update(task)
            return
        ended = bool(set(self._bars) - {t.id for t in active})
        self._bars.clear()
        self._running.clear()
        with self._running:
            if not active:
                ui.label("No task is running.").classes("text-caption")
            for task in active:
                with ui.card().classes("w-full").props(f"data-testid=running-{task.id}"):
                    self._bars[task.id] = TaskProgress(
                        task, f"running-{task.id}", lambda i=task.id: self._ctx.tasks.cancel(i)
                    )
        if ended:  # a task just finished: show it in the history at once
            self._refresh_history()

    def _refresh_history(self) -> None:
        status, tool = self._filter(self._status), self._filter(self._tool)
        text = (self._text.value or "").strip() or None
        rows = views.history(
            self._ctx.tasks, status=status, tool=tool, text=text, limit=HISTORY_LIMIT
        )
        key = (status, tool, text, [(r["id"], r["status"], len(r["outputs"])) for r in rows])
        if key == self._history_key:
            return
        self._history_key = key
        self._history.clear()
        with self._history:
            if not rows:
                ui.label("No runs match.").classes("text-caption")
            for row in rows:
                _history_row(row)


def mount(ctx: EngineContext) -> None:
    @ui.page("/tasks")
    def tasks_page() -> None:
        header(ctx, "/tasks")
        with ui.column().classes("w-full p-4 gap-4"):
            TasksView(ctx)
