"""A tool function's parameters on the command line: ``-p KEY=VALUE`` read into the values its
model checks, and the model described for ``locanext tool NAME -f FUNCTION --help``.

A list parameter takes comma-separated values (``-p fields=source,translation``), repeated
``-p`` (``-p fields=source -p fields=translation``), or both; a list of paths is split only by
repeating ``-p``, since a file name may hold a comma. ``-p KEY=`` gives an empty list.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo


class ParamError(ValueError):
    """A ``-p`` argument that cannot be read (the message is for the user)."""


def _without_none(annotation: Any) -> Any:
    """``X`` for ``X | None`` (the CLI cannot pass None; leaving a parameter out does)."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return annotation


def _list_item(annotation: Any) -> Any | None:
    """The item type of a list parameter, or None for a single value."""
    inner = _without_none(annotation)
    if get_origin(inner) in (list, tuple, set, frozenset):
        args = get_args(inner)
        return args[0] if args else str
    return None


def _is_path(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, PurePath)


def parse(model: type[BaseModel], pairs: Iterable[str]) -> dict[str, Any]:
    """The ``KEY=VALUE`` arguments as the parameters to validate against ``model``; raises
    ParamError for an argument without ``=`` or a single-valued parameter given twice. Unknown
    keys are passed on, so the model's own check names them."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ParamError(f"parameters are KEY=VALUE; got {pair!r}")
        info = model.model_fields.get(key)
        item = _list_item(info.annotation) if info is not None else None
        if item is None:
            if key in params:
                raise ParamError(
                    f"parameter {key!r} given twice; only list parameters take several values"
                )
            params[key] = value
            continue
        values = [value] if _is_path(item) else value.split(",")
        params.setdefault(key, []).extend(v.strip() for v in values if v.strip())
    return params


def type_name(annotation: Any) -> str:
    """How a parameter's type reads in the help: ``text``, ``integer``, ``one of a|b``..."""
    inner = _without_none(annotation)
    item = _list_item(inner)
    if item is not None:
        how = "repeat -p" if _is_path(item) else "a,b,c or repeated -p"
        kind = type_name(item).removeprefix("one of ")
        return f"list of {kind} ({how})"
    if get_origin(inner) is Literal:
        return "one of " + "|".join(str(v) for v in get_args(inner))
    if _is_path(inner):
        return "path"
    names = {str: "text", int: "integer", float: "number", bool: "true|false"}
    return names.get(inner, getattr(inner, "__name__", str(inner)))


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_shown(v) for v in value) or "(empty)"
    if value == "":
        return '""'
    return str(value)


def default_of(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    return f"default {_shown(info.get_default(call_default_factory=True))}"


def describe(model: type[BaseModel]) -> Iterator[str]:
    """Per parameter a line ``-p name  type; required | default ...`` and one of help."""
    fields = model.model_fields
    if not fields:
        yield "  (no parameters)"
        return
    width = max(len(name) for name in fields)
    for name, info in fields.items():
        yield f"  -p {name:<{width}}  {type_name(info.annotation)}; {default_of(info)}"
        if info.description:
            yield f"     {'':<{width}}  {info.description}"
