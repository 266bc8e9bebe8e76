"""Settings of the two server processes on central's database, validated by pydantic-settings:
central itself (``LOCANEXT_CENTRAL_*``) and the admin dashboard (``LOCANEXT_ADMIN_*``), which
reads the same mirror and so also takes central's ``LOCANEXT_CENTRAL_DSN`` and
``LOCANEXT_CENTRAL_DATA_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from replicator.wire import MAX_BODY_BYTES, MIN_BODY_BYTES

# A PostgreSQL server on this machine, as Debian's package sets it up: where `locanext bench` and
# `locanext fuzz` make their scratch databases unless told otherwise.
DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def default_data_dir() -> Path:
    # root runs services: /var/lib is reachable by the postgres user, /root is not.
    if os.geteuid() == 0:
        return Path("/var/lib/locanext/central")
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "locanext" / "central"


def cluster_dir(data_dir: Path) -> Path:
    """The private PostgreSQL cluster under central's data dir."""
    return data_dir / "pg"


class CentralSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCANEXT_CENTRAL_", extra="ignore")

    dsn: str | None = Field(
        default=None,
        description="PostgreSQL URL of the mirror; without one, a private cluster in the data dir.",
    )
    read_dsn: str | None = Field(
        default=None,
        description="PostgreSQL URL of a streaming replica of the mirror that serves pulls; "
        "without one, pulls read the primary.",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="Where the private cluster lives."
    )
    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8700, ge=1, le=65535, description="Port to listen on.")
    admin_password: str | None = Field(
        default=None,
        description="Password of the first `admin` account, made when central has no account.",
    )
    max_body_bytes: int = Field(
        default=MAX_BODY_BYTES,
        ge=MIN_BODY_BYTES,
        description="Largest push body in bytes, before and after gzip; at least 8 MiB.",
    )
    max_request_bytes: int = Field(
        default=256 * 1024, description="Body limit of every request but a sync push."
    )
    staff_idle_timeout_s: int = Field(
        default=1800, description="An administrator's session ends after this long unused."
    )
    workers: int = Field(
        default=1,
        ge=1,
        description="Processes serving HTTP on one port, all on one PostgreSQL.",
    )
    pool_size: int = Field(
        default=15,
        ge=1,
        description="Most PostgreSQL connections one process opens (workers x this in all).",
    )
    tls_cert: Path | None = Field(
        default=None,
        description="PEM certificate (chain) to serve HTTPS with; needs tls_key.",
    )
    tls_key: Path | None = Field(default=None, description="PEM private key of tls_cert.")

    @model_validator(mode="after")
    def _tls_pair(self) -> CentralSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self

    @property
    def cluster_dir(self) -> Path:
        return cluster_dir(self.data_dir)

    @property
    def url(self) -> str:
        """Where central answers, as installs should name it."""
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.host}:{self.port}"


class AdminSettings(BaseSettings):
    """The admin dashboard: where it listens and which mirror it reads."""

    model_config = SettingsConfigDict(
        env_prefix="LOCANEXT_ADMIN_", extra="ignore", populate_by_name=True
    )

    dsn: str | None = Field(
        default=None,
        validation_alias=AliasChoices("LOCANEXT_ADMIN_DSN", "LOCANEXT_CENTRAL_DSN"),
        description="PostgreSQL URL of the mirror (a read-only role is enough); without one, "
        "central's private cluster.",
    )
    central_data_dir: Path = Field(
        default_factory=default_data_dir,
        validation_alias="LOCANEXT_CENTRAL_DATA_DIR",
        description="Central's data dir, to find its private cluster.",
    )
    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8701, ge=1, le=65535, description="Port to listen on.")
    central_url: str = Field(
        default="http://127.0.0.1:8700",
        validation_alias="LOCANEXT_CENTRAL_URL",
        description="Central's URL: the console signs staff in and sends every change there.",
    )
    secret: str | None = Field(
        default=None,
        description="Key that signs the console's session cookies; without one, a new key at "
        "every start (everyone signs in again after a restart).",
    )

    @property
    def cluster_dir(self) -> Path:
        return cluster_dir(self.central_data_dir)
