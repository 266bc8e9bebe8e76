"""A form built from a tool function's parameters model, each field shaped by its annotation:

* a choice (``Literal``, an enum) is a select; a list of choices, a select of chips;
* a free list (``list[str]``) is typed as chips; a list of models (lookup rules, sheet
  selections) is a small table editor with a row per item;
* a path has a Browse button (a file to read, or where to save a report or output), a folder
  (``..._dir``) a folder button; names of dictionaries, games and languages offer what exists;
* numbers, switches and text as usual. Each starts at its default (or a given value) and is
  described by its ``Field(description=...)``.

The form collects what was given; the task manager validates it against the same model, and its
message names the parameter that is wrong.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Literal, Union, get_args, get_origin

from nicegui import ui
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from engine.ui.file_picker import Picker

# Path parameters that name a file to write (a save dialog), not one to read.
SAVE_PARAMS = frozenset({"report", "output"})


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


def _item(annotation: Any) -> Any | None:
    """The item type of a list annotation, or None."""
    if get_origin(annotation) in (list, tuple, set):
        args = get_args(annotation)
        return args[0] if args else str
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _is_path(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, PurePath)


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        value = info.default
    elif info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    else:
        return None
    if isinstance(value, list):
        return [v.value if isinstance(v, enum.Enum) else v for v in value]
    return value.value if isinstance(value, enum.Enum) else value


def _label(name: str, info: FieldInfo) -> str:
    label = info.title or name.replace("_", " ")
    return label + " *" if info.is_required() else label


class RowsEditor:
    """A list of models as a table: one input per field, rows added and removed."""

    def __init__(
        self, name: str, model: type[BaseModel], rows: list[dict[str, Any]], required: bool
    ) -> None:
        self._name = name
        self._model = model
        self._rows: list[dict[str, ui.input]] = []
        self._box = ui.column().classes("w-full gap-1").props(f"data-testid=param-{name}")
        with self._box:
            self._table = ui.column().classes("w-full gap-1")
            ui.button("Add a row", icon="add", on_click=lambda: self.add({})).props(
                f"flat dense data-testid=param-{name}-add"
            )
        for row in rows:
            self.add(row)
        if not rows and required:
            self.add({})

    def add(self, values: Mapping[str, Any]) -> None:
        """A row; its empty fields take their defaults (shown as placeholders)."""
        fields = self._model.model_fields
        with self._table, ui.row().classes("w-full items-end gap-2 no-wrap") as line:
            inputs: dict[str, ui.input] = {}
            for field, info in fields.items():
                given, default = values.get(field), _default(info)
                inputs[field] = (
                    ui.input(
                        _label(field, info),
                        value="" if given is None else str(given),
                        placeholder="" if default is None else str(default),
                    )
                    .classes("grow")
                    .props(f"dense data-testid=param-{self._name}-{len(self._rows)}-{field}")
                )
                if info.description:
                    inputs[field].tooltip(info.description)
            self._rows.append(inputs)
            ui.button(icon="close", on_click=lambda: self._remove(line, inputs)).props(
                "flat dense round aria-label='Remove this row'"
            )

    def _remove(self, line: ui.row, inputs: dict[str, ui.input]) -> None:
        self._rows.remove(inputs)
        line.delete()

    def value(self) -> list[dict[str, Any]] | None:
        rows = []
        for inputs in self._rows:
            row = {k: (i.value or "").strip() for k, i in inputs.items()}
            if any(row.values()):
                rows.append({k: v for k, v in row.items() if v != ""})
        return rows or None


class _Field:
    def __init__(
        self,
        name: str,
        info: FieldInfo,
        value: Any,
        suggestions: list[str] | None,
        picker: Picker | None,
    ) -> None:
        self.name = name
        self.kind = _unwrap(info.annotation)
        self.item = _item(self.kind)
        self.rows: RowsEditor | None = None
        start = _default(info) if value is None else value
        label = _label(name, info)
        choices = _choices(self.kind)
        item_choices = _choices(self.item) if self.item is not None else None
        testid = f"data-testid=param-{name}"
        if self.kind is bool:
            self.element: Any = ui.checkbox(label, value=bool(start))
        elif choices is not None:
            self.element = ui.select(choices, label=label, value=start).classes("min-w-48")
        elif item_choices is not None:
            self.element = ui.select(
                item_choices, label=label, value=list(start or []), multiple=True
            ).props("use-chips")
        elif self.item is not None and _is_model(self.item):
            ui.label(label).classes("text-caption lx-muted")
            rows = [dict(r) for r in start or []]
            self.rows = RowsEditor(name, self.item, rows, info.is_required())
            self.element = self.rows
        elif self.item is not None:
            self.element = ui.input_chips(
                label, value=[str(v) for v in start or []], new_value_mode="add-unique"
            )
        elif self.kind in (int, float):
            precision = 0 if self.kind is int else None
            self.element = ui.number(label, value=start, precision=precision)
        elif suggestions is not None:
            options = sorted({*suggestions, *([str(start)] if start else [])})
            self.element = ui.select(
                options,
                label=label,
                value=start or None,
                with_input=True,
                new_value_mode="add-unique",
                clearable=True,
            ).props("input-debounce=0")
        else:
            self.element = ui.input(label, value="" if start is None else str(start))
        if self.rows is None:
            self.element.classes("w-full").props(testid)
            self._browse(picker, name)
        if info.description:
            ui.label(info.description).classes("text-caption lx-muted -mt-2")

    def _browse(self, picker: Picker | None, name: str) -> None:
        """A Browse button beside path and folder fields."""
        if picker is None or not isinstance(self.element, ui.input):
            return
        if _is_path(self.kind):
            save = name in SAVE_PARAMS

            async def choose() -> None:
                current = str(self.element.value or "")
                path = await (
                    picker.save(f"Save {name} as", PurePath(current).name)
                    if save
                    else picker.files(f"Choose the {name} file")
                )
                chosen = path[0] if isinstance(path, list) and path else path
                if chosen:
                    self.element.set_value(chosen)

        elif name.endswith("_dir"):

            async def choose() -> None:
                folder = await picker.folder(f"Choose the {name.replace('_', ' ')}")
                if folder:
                    self.element.set_value(folder)

        else:
            return
        with self.element.add_slot("append"):
            ui.button(icon="folder_open", on_click=choose).props(
                f"flat dense round data-testid=param-{name}-browse aria-label='Browse'"
            )

    def value(self) -> Any:
        """What was given, or None for "leave the default"."""
        if self.rows is not None:
            return self.rows.value()
        raw = self.element.value
        if self.kind is bool:
            return bool(raw)
        if self.item is not None:
            return list(raw) if raw else None
        if raw is None or raw == "":
            return None
        if self.kind is int and isinstance(raw, float) and raw.is_integer():
            return int(raw)
        return raw


class ParamsForm:
    """Builds its fields in the current NiceGUI container.

    ``values`` start fields at given values (a rebuild, a link); ``suggestions`` offer known
    values for a field by name (dictionaries, games, languages); ``picker`` adds Browse buttons.
    """

    def __init__(
        self,
        model: type[BaseModel],
        *,
        values: Mapping[str, Any] | None = None,
        suggestions: Mapping[str, list[str]] | None = None,
        picker: Picker | None = None,
    ) -> None:
        values = values or {}
        suggestions = suggestions or {}
        self._fields = [
            _Field(name, info, values.get(name), suggestions.get(name), picker)
            for name, info in model.model_fields.items()
        ]
        if not self._fields:
            ui.label("This function takes no parameters.").classes("text-caption")

    def values(self) -> dict[str, Any]:
        values = {f.name: f.value() for f in self._fields}
        return {k: v for k, v in values.items() if v is not None}
