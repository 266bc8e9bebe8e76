"""Central settings (pydantic-settings, environment prefix ``LOCANEXT_``)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from replicator.wire import MAX_BODY_BYTES


def default_data_dir() -> Path:
    # root runs services: /var/lib is reachable by the postgres user, /root is not.
    if os.geteuid() == 0:
        return Path("/var/lib/locanext/central")
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "locanext" / "central"


class CentralSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCANEXT_", extra="ignore")

    central_dsn: str | None = Field(
        default=None, description="PostgreSQL URL; without one a private cluster is started."
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8700
    admin_password: str | None = Field(
        default=None, description="Password of the first `admin` account (generated if unset)."
    )
    max_body_bytes: int = MAX_BODY_BYTES
    max_request_bytes: int = Field(
        default=256 * 1024, description="Body limit of every request but a sync push."
    )
    staff_idle_timeout_s: int = Field(
        default=1800, description="An administrator's session ends after this long unused."
    )

    @property
    def cluster_dir(self) -> Path:
        return self.data_dir / "pg"
