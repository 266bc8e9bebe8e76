"""The Dictionaries page: every dictionary on this PC (XLS Transfer's and Quick Search's) with its
size, sources, language and build date; delete one, or rebuild it from the same files and
settings as its last build here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from nicegui import ui

from engine.context import EngineContext
from engine.dictionaries import DictionaryError, DictionaryStore
from engine.errors import EngineError
from engine.tasks import views
from engine.tasks.model import Task
from engine.ui.layout import TaskProgress, header

# The stores the page lists: folder -> tool title.
STORES = {"xls_transfer": "XLS Transfer", "quick_search": "Quick Search"}
REFRESH_SECONDS = 0.5

COLUMNS = [
    {"name": "name", "label": "Name", "field": "name", "sortable": True, "align": "left"},
    {"name": "tool", "label": "Tool", "field": "tool_title", "sortable": True, "align": "left"},
    {"name": "entries", "label": "Entries", "field": "entries", "sortable": True},
    {"name": "size", "label": "Size", "field": "size_text", "align": "right"},
    {"name": "sources", "label": "Sources", "field": "sources", "align": "left"},
    {"name": "language", "label": "Game · language", "field": "language", "align": "left"},
    {"name": "built", "label": "Built", "field": "built", "sortable": True, "align": "left"},
    {"name": "actions", "label": "", "field": "key", "align": "right"},
]

ACTIONS_SLOT = r"""
<q-td :props="props">
  <q-btn flat dense icon="refresh" label="Rebuild"
    :data-testid="'dictionary-' + props.row.key + '-rebuild'"
    @click="$parent.$emit('rebuild', props.row)" />
  <q-btn flat dense icon="delete" color="negative" label="Delete"
    :data-testid="'dictionary-' + props.row.key + '-delete'"
    @click="$parent.$emit('remove', props.row)" />
</q-td>
"""


def size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


def _sources(meta: dict[str, Any]) -> str:
    files = meta.get("files")
    if isinstance(files, list):
        shown = ", ".join(str(f) for f in files[:3])
        return shown + (f" and {len(files) - 3} more" if len(files) > 3 else "")
    if isinstance(files, int):
        return f"{files} file{'s' * (files != 1)}"
    return ""


def _built(created: str) -> str:
    try:
        return datetime.fromisoformat(created).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return created or ""


def listing(data_dir: Path) -> list[dict[str, Any]]:
    rows = []
    for tool, title in STORES.items():
        store = DictionaryStore(data_dir, tool)
        for info in store.names():
            meta = info.get("meta") or {}
            path = store.path(info["name"])
            size = path.stat().st_size if path.exists() else 0
            where = " · ".join(str(meta[k]) for k in ("game", "language") if meta.get(k))
            rows.append(
                {
                    "key": f"{tool}--{info['name']}",
                    "tool": tool,
                    "tool_title": title,
                    "name": info["name"],
                    "entries": info["entries"],
                    "size": size,
                    "size_text": size_text(size),
                    "sources": _sources(meta),
                    "language": where,
                    "built": _built(info["created"]),
                }
            )
    return sorted(rows, key=lambda r: (r["tool"], r["name"].casefold()))


class DictionariesView:
    def __init__(self, ctx: EngineContext, data_dir: Path) -> None:
        self._ctx = ctx
        self._data_dir = data_dir
        self._following: dict[str, TaskProgress] = {}
        # Dialogs opened from the table's events live here, not inside the table.
        self._dialogs = ui.element("div")
        with ui.row().classes("items-center gap-4"):
            ui.label("Dictionaries").classes("text-h6")
            self._count = ui.label("").classes("lx-muted").props("data-testid=dictionaries-count")
        self._tasks = ui.column().classes("w-full").props("data-testid=dictionary-tasks")
        self._empty = ui.column().classes("gap-1").props("data-testid=dictionaries-empty")
        with self._empty:
            ui.label("No dictionary on this PC yet.").classes("text-subtitle1")
            ui.label("Build one from your files, then transfer or search with it:").classes(
                "lx-muted"
            )
            for tool, title in STORES.items():
                query = urlencode({"tool": tool, "function": views.BUILD})
                ui.link(f"{title} › Build dictionary", f"/tools?{query}")
        self.table = ui.table(columns=COLUMNS, rows=[], row_key="key").classes("w-full")
        self.table.props("data-testid=dictionaries wrap-cells")
        self.table.add_slot("body-cell-actions", ACTIONS_SLOT)
        self.table.on("remove", lambda e: self._confirm_delete(e.args))
        self.table.on("rebuild", lambda e: self._rebuild(e.args))
        self.error = ui.label("").classes("text-negative").props("data-testid=dictionaries-error")
        self.refresh()
        ui.timer(REFRESH_SECONDS, self._follow)

    def refresh(self) -> None:
        try:
            rows = listing(self._data_dir)
            self.error.set_text("")
        except (OSError, EngineError) as exc:
            rows = []
            self.error.set_text(f"Could not list the dictionaries: {exc}")
        self.table.rows = rows
        self.table.update()
        self.table.set_visibility(bool(rows))
        self._empty.set_visibility(not rows)
        self._count.set_text(f"{len(rows)} on this PC")

    def _confirm_delete(self, row: dict[str, Any]) -> None:
        self._dialogs.clear()
        with (
            self._dialogs,
            ui.dialog() as dialog,
            ui.card().props("data-testid=dictionary-delete-dialog"),
        ):
            ui.label(f"Delete the {row['tool_title']} dictionary {row['name']}?").classes(
                "text-subtitle1"
            )
            ui.label(
                f"Its {row['entries']:,} entries are removed from this PC; the files it was "
                "built from are not touched."
            ).classes("lx-muted")

            def delete() -> None:
                dialog.close()
                try:
                    DictionaryStore(self._data_dir, row["tool"]).delete(row["name"])
                except (DictionaryError, OSError) as exc:
                    ui.notify(f"Not deleted: {exc}", type="negative")
                else:
                    ui.notify(f"{row['name']} deleted", type="positive")
                self.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat")
                ui.button("Delete", on_click=delete, color="negative", icon="delete").props(
                    "data-testid=dictionary-delete-confirm"
                )
        dialog.open()

    def _rebuild(self, row: dict[str, Any]) -> None:
        tasks = self._ctx.tasks
        build = views.last_build(tasks, row["tool"], row["name"])
        if build is None:
            # Built elsewhere or by an older version: the build form, with what is known.
            query = {"tool": row["tool"], "function": views.BUILD}
            ui.notify(
                f"This PC has no record of the files {row['name']} was built from; choose them "
                "on the Apps page.",
                type="warning",
            )
            ui.navigate.to(f"/tools?{urlencode(query)}")
            return
        try:
            task = tasks.submit(
                row["tool"],
                build["inputs"],
                build["params"],
                username=self._ctx.username,
                function=views.BUILD,
            )
        except EngineError as exc:
            ui.notify(f"Not rebuilt: {exc}", type="negative")
            return
        self._show(task)

    def _show(self, task: Task) -> None:
        testid = f"rebuild-{task.id}"
        with self._tasks, ui.card().classes("w-full").props(f"data-testid={testid}"):
            self._following[task.id] = TaskProgress(
                task, testid, lambda: self._ctx.tasks.cancel(task.id)
            )

    def _follow(self) -> None:
        for task_id, progress in list(self._following.items()):
            task = self._ctx.tasks.get(task_id)
            if task is None:
                continue
            progress.update(task)
            if task.finished:
                del self._following[task_id]
                if task.error:
                    ui.notify(f"Rebuild {task.state}: {task.error}", type="negative")
                self.refresh()


def mount(ctx: EngineContext) -> None:
    @ui.page("/dictionaries")
    def dictionaries_page() -> None:
        header(ctx, "/dictionaries")
        with ui.column().classes("w-full p-4 gap-4"):
            DictionariesView(ctx, ctx.tasks.data_dir)
