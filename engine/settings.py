"""Engine settings, validated by pydantic-settings (environment prefix ``LOCANEXT_``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "locanext" / "app"


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCANEXT_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Where engine.db lives.")
    install_name: str = Field(default="", description="Shown to admins; defaults to the host name.")
    username: str = Field(
        default="", description="Who runs tools here; defaults to the enrolled user."
    )
    sync_interval: float = Field(default=5.0, gt=0, description="Seconds between sync rounds.")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "engine.db"
