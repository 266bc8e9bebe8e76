"""Running a tool and recording the run as one operation (from the UI, the API or the CLI)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import EngineError, ToolFailed
from engine.operations import OperationLog
from engine.tools import Function, Tool, ToolCall, ToolResult, registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    operation_id: str
    status: str
    result: ToolResult | None
    error: str | None


class UnknownTool(EngineError):
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


class BadParams(EngineError):
    pass


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
    tool, fn = resolve(name, function)
    params = validate_params(fn, params or {})
    op_id = operations.start(
        tool=tool.name,
        function=fn.name,
        username=username,
        parameters=params,
        input_files=inputs,
    )
    try:
        result = fn.run(ToolCall(inputs, params, data_dir))
    except ToolFailed as exc:
        operations.finish(op_id, status="failed", error=str(exc))
        return RunOutcome(op_id, "failed", None, str(exc))
    except Exception as exc:
        log.exception("tool %s crashed (operation %s)", name, op_id)
        message = f"internal error: {type(exc).__name__}: {exc}"
        operations.finish(op_id, status="failed", error=message)
        return RunOutcome(op_id, "failed", None, message)
    operations.finish(
        op_id,
        status="succeeded",
        rows_in=result.rows_in,
        rows_out=result.rows_out,
        output_files=result.output_files,
    )
    return RunOutcome(op_id, "succeeded", result, None)
