"""What the Tasks view and the task API list: live tasks, and the history from engine.db with each
run's output paths and warnings from this PC's result store."""

from __future__ import annotations

import json
from typing import Any

from engine.tasks.manager import TaskManager, UnknownTask


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def history_row(manager: TaskManager, row: dict[str, Any]) -> dict[str, Any]:
    """An operation row made readable: file lists as lists, parameters as a dict, and (when
    this PC ran it) where the outputs are and what the tool warned about."""
    item = dict(row)
    item["input_files"] = _json_list(row.get("input_files"))
    item["output_files"] = _json_list(row.get("output_files"))
    try:
        item["parameters"] = json.loads(row.get("parameters") or "{}")
    except ValueError:
        item["parameters"] = {}
    entry = manager.results.get(row["id"]) or {}
    item["outputs"] = entry.get("outputs", [])
    item["warnings"] = entry.get("warnings", [])
    item["summary"] = entry.get("summary", {})
    return item


def history(
    manager: TaskManager,
    *,
    status: str | None = None,
    tool: str | None = None,
    text: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    rows = manager.operations.search(status=status, tool=tool, text=text, limit=limit)
    return [history_row(manager, row) for row in rows]


def detail(manager: TaskManager, task_id: str) -> dict[str, Any]:
    """The live task if this session has it, else its recorded run; raises UnknownTask if
    neither exists."""
    task = manager.get(task_id)
    row = manager.operations.get(task_id)
    if task is None and row is None:
        raise UnknownTask(f"no task {task_id}")
    item: dict[str, Any] = history_row(manager, row) if row else {}
    if task is not None:
        item.update(task.as_dict())
    else:
        item["state"] = item["status"]
    return item


# The function that builds a dictionary, and the summary key naming what it built, per tool.
BUILD = "build_dictionary"
BUILT_NAME = {"xls_transfer": "name", "quick_search": "dictionary"}


def last_build(manager: TaskManager, tool: str, name: str) -> dict[str, Any] | None:
    """The inputs and parameters of the newest successful build of dictionary ``name`` run on
    this PC (None when none was recorded with its inputs, e.g. one built by an older version)."""
    key = BUILT_NAME.get(tool)
    if key is None:
        return None
    for row in manager.operations.search(status="succeeded", tool=tool, limit=1000):
        if row["function"] != BUILD:
            continue
        entry = manager.results.get(row["id"]) or {}
        if entry.get("summary", {}).get(key) == name and entry.get("inputs"):
            return {"inputs": entry["inputs"], "params": entry.get("params", {}), "run": row}
    return None
