"""The desktop install's settings (`locanext app`, `tool`, `enroll`, `sync`), validated by
pydantic-settings from variables ``LOCANEXT_APP_*``.

The names earlier versions documented (``LOCANEXT_DATA_DIR``, ``LOCANEXT_INSTALL_NAME``,
``LOCANEXT_SYNC_INTERVAL``) are still read when the new ones are unset; central no longer reads
any of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "LOCANEXT_APP_"


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "locanext" / "app"


def _variables(field: str, former: str) -> AliasChoices:
    return AliasChoices(ENV_PREFIX + field.upper(), former)


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default_factory=default_data_dir,
        validation_alias=_variables("data_dir", "LOCANEXT_DATA_DIR"),
        description="Where engine.db, dictionaries and task results live.",
    )
    install_name: str = Field(
        default="",
        validation_alias=_variables("install_name", "LOCANEXT_INSTALL_NAME"),
        description="The name admins see for this install; empty means the host name.",
    )
    username: str = Field(
        default="", description="Who runs tools here; empty means the enrolled user."
    )
    sync_interval: float = Field(
        default=5.0,
        gt=0,
        validation_alias=_variables("sync_interval", "LOCANEXT_SYNC_INTERVAL"),
        description="Seconds between sync rounds; a local commit starts one at once.",
    )

    ca_cert: Path | None = Field(
        default=None,
        description="PEM bundle of the CA that signed central's certificate; empty means the "
        "system's certificate store.",
    )
    insecure: bool = Field(
        default=False,
        description="Allow plain http:// to a central on another machine (passwords and tokens "
        "in clear).",
    )
    spare_workers: int = Field(
        default=1,
        ge=0,
        le=4,
        description="Worker processes started ahead of the tool runs, tools imported, so a run "
        "starts at once; 0 starts each run's worker when the run is asked for.",
    )

    @property
    def db_path(self) -> Path:
        return self.data_dir / "engine.db"
