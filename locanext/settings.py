"""The settings of every process kind as the command line and the README show them: which
environment variables set each field (the current name first, then names still read from
earlier versions) and its default. The settings classes hold both; nothing here repeats them."""

from __future__ import annotations

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from central.settings import AdminSettings, CentralSettings
from engine.settings import EngineSettings

SETTINGS: tuple[type[BaseSettings], ...] = (EngineSettings, CentralSettings, AdminSettings)


def variables(cls: type[BaseSettings], field: str) -> tuple[str, ...]:
    """The environment variables that set ``field``, in the order they are looked up."""
    alias = cls.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(c for c in alias.choices if isinstance(c, str))
    if isinstance(alias, str):
        return (alias,)
    return ((cls.model_config.get("env_prefix") or "") + field.upper(),)


def default(cls: type[BaseSettings], field: str) -> str:
    value = cls.model_fields[field].get_default(call_default_factory=True)
    return "none" if value is None or value == "" else str(value)


def option_help(cls: type[BaseSettings], field: str, text: str | None = None) -> str:
    """An option's help: what it sets (the field's description unless ``text``), the variable
    that sets it otherwise, and the default."""
    description = text or cls.model_fields[field].description or ""
    names = ", else ".join(variables(cls, field))
    return f"{description} (env {names}; default {default(cls, field)})"
