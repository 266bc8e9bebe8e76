"""The tools the engine offers: look one up by name and check a run's parameters against its
function's model. The task manager (at submit) and the worker (once, from the JSON-ready params
it receives) both go through here; the UI and the CLI list tools from here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from engine.errors import BadParams, UnknownTool
from engine.tools import quick_search, similar_strings, text_stats, xls_transfer
from engine.tools.base import Function, Tool

P = TypeVar("P", bound=BaseModel)


def registry() -> dict[str, Tool]:
    tools = [xls_transfer.TOOL, quick_search.TOOL, similar_strings.TOOL, text_stats.TOOL]
    return {t.name: t for t in tools}


def resolve(name: str, function: str | None = None) -> tuple[Tool, Function[Any]]:
    """The tool and function to run; raises UnknownTool naming what exists."""
    tools = registry()
    if name not in tools:
        raise UnknownTool(f"unknown tool {name!r}; available: {', '.join(sorted(tools))}")
    tool = tools[name]
    fn = tool.function(function)
    if fn is None:
        names = ", ".join(f.name for f in tool.functions)
        raise UnknownTool(f"tool {name!r} has functions {names}; name one of them")
    return tool, fn


def validate_params(fn: Function[P], params: Mapping[str, Any]) -> P:
    """The parameters as an instance of the function's model; raises BadParams listing every
    problem."""
    try:
        return fn.params.model_validate(dict(params))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise BadParams(f"{fn.name}: bad parameters: {problems}") from None
