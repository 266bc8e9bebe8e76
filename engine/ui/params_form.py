"""A form built from a tool function's parameters model: one field per parameter, typed by its
annotation, starting at its default, described by its ``Field(description=...)``.

The form only collects what was typed; the task manager validates it against the same model and
its message names the parameter that is wrong.
"""

from __future__ import annotations

import enum
import json
import types
from typing import Any, Literal, Union, get_args, get_origin

from nicegui import ui
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined


def _unwrap(annotation: Any) -> Any:
    """``X | None`` is shown as ``X`` (an empty field means "use the default")."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _choices(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    return None


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        value = info.default
    elif info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    else:
        return None
    return value.value if isinstance(value, enum.Enum) else value


class _Field:
    def __init__(self, name: str, info: FieldInfo) -> None:
        self.name = name
        self.kind = _unwrap(info.annotation)
        default = _default(info)
        label = info.title or name.replace("_", " ")
        if info.is_required():
            label += " *"
        choices = _choices(self.kind)
        self.is_list = get_origin(self.kind) in (list, tuple, set)
        if self.kind is bool:
            self.element: Any = ui.checkbox(label, value=bool(default))
        elif choices is not None:
            self.element = ui.select(choices, label=label, value=default).classes("min-w-48")
        elif self.kind in (int, float):
            precision = 0 if self.kind is int else None
            self.element = ui.number(label, value=default, precision=precision)
        elif self.is_list:
            text = "\n".join(str(v) for v in default or [])
            self.element = ui.textarea(label, value=text, placeholder="one value per line")
        else:
            text = "" if default is None else str(default)
            self.element = ui.input(label, value=text)
        self.element.classes("w-full").props(f"data-testid=param-{name}")
        if info.description:
            ui.label(info.description).classes("text-caption text-grey-7 -mt-2")

    def value(self) -> Any:
        """What was given, or None for "leave the default"."""
        raw = self.element.value
        if self.kind is bool:
            return bool(raw)
        if raw is None or raw == "":
            return None
        if self.kind is int and isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if self.is_list:
            return [line.strip() for line in str(raw).splitlines() if line.strip()]
        if isinstance(raw, str) and self.kind not in (str,) and raw.strip()[:1] in "[{":
            try:  # a structured value typed as JSON
                return json.loads(raw)
            except ValueError:
                return raw
        return raw


class ParamsForm:
    """Builds its fields in the current NiceGUI container."""

    def __init__(self, model: type[BaseModel]) -> None:
        self._fields = [_Field(name, info) for name, info in model.model_fields.items()]
        if not self._fields:
            ui.label("This function takes no parameters.").classes("text-caption")

    def values(self) -> dict[str, Any]:
        values = {f.name: f.value() for f in self._fields}
        return {k: v for k, v in values.items() if v is not None}
