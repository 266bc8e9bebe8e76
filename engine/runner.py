"""Finding a tool's function, checking its parameters, and running it.

Every run is a task (:mod:`engine.tasks`): the function runs in a worker process and the engine
records the run as one operation. :func:`run_tool` is the blocking form (submit and wait) for
callers that have no task manager of their own, such as the demo's sample runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from engine.errors import EngineError
from engine.tools import Function, Tool, ToolResult, registry

if TYPE_CHECKING:
    from engine.operations import OperationLog


@dataclass(frozen=True)
class RunOutcome:
    operation_id: str
    status: str
    result: ToolResult | None
    error: str | None


class UnknownTool(EngineError):
    pass


class BadParams(EngineError):
    pass


def resolve(name: str, function: str | None = None) -> tuple[Tool, Function]:
    tools = registry()
    if name not in tools:
        raise UnknownTool(f"unknown tool {name!r}; available: {', '.join(sorted(tools))}")
    tool = tools[name]
    fn = tool.function(function)
    if fn is None:
        names = ", ".join(f.name for f in tool.functions)
        raise UnknownTool(f"tool {name!r} has functions {names}; name one of them")
    return tool, fn


def validate_params(fn: Function, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters checked against the function's model, as JSON-ready values."""
    try:
        return fn.params.model_validate(params).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise BadParams(f"{fn.name}: bad parameters: {problems}") from None


def run_tool(
    operations: OperationLog,
    name: str,
    inputs: list[Path],
    params: dict[str, Any] | None = None,
    *,
    username: str,
    data_dir: Path,
    function: str | None = None,
) -> RunOutcome:
    """Run one tool as a task in a worker process and wait for it; raises UnknownTool/BadParams.

    A manager of its own is started and stopped here; the engine's runtime keeps a long-lived one.
    """
    from engine.tasks import TaskManager

    manager = TaskManager(operations, data_dir, max_workers=1)
    try:
        task = manager.submit(name, inputs, params or {}, username=username, function=function)
        done = manager.wait(task.id)
    finally:
        manager.shutdown()
    result = done.result()
    return RunOutcome(task.id, done.state, result, done.error)
