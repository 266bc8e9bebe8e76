"""Request and response bodies of the administration API. Requests refuse unknown fields, so a
misspelt field is an error rather than a silent no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from replicator.wire import ErrorBody, storable_text

# Every refusal the administration routes may answer with.
# Every refusal the administration routes may answer with (400: a body that is not JSON at all).
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 409, 413, 422, 429)
}
# Enrollment and the sync protocol also refuse an install too old or too new for this central.
SYNC_RESPONSES: dict[int | str, dict] = {**ERROR_RESPONSES, 426: {"model": ErrorBody}}

# Text PostgreSQL can hold: no NUL character (path and query values; bodies check in Strict).
NO_NUL = r"^[^\x00]*$"
UserName = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
InstallId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Role = Literal["translator", "lead", "admin"]
Short = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        return storable_text(value)


class SignIn(Strict):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    token: str
    username: str
    role: str
    display_name: str
    idle_timeout_s: int


class Me(BaseModel):
    username: str
    role: str
    display_name: str


class UserOut(BaseModel):
    username: str
    display_name: str
    team: str
    language: str
    role: str
    active: bool


class NewUser(Strict):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=1024)
    display_name: Short = ""
    team: Short = ""
    language: Annotated[str, Field(max_length=35)] = ""
    role: Role = "translator"


class UserChanges(Strict):
    display_name: Short | None = None
    team: Short | None = None
    language: Annotated[str | None, Field(max_length=35)] = None
    role: Role | None = None


class NewPassword(Strict):
    password: Annotated[str | None, Field(min_length=8, max_length=1024)] = None


class PasswordOut(BaseModel):
    password: str | None = Field(description="the new password when central generated it")


class Rebind(Strict):
    username: str | None = Field(
        default=None, max_length=64, description="who may enroll it next (default: its user)"
    )


class InstallStatus(BaseModel):
    install_id: str
    status: Literal["revoked", "active"]
    username: str
    awaiting_enrollment: str | None = Field(
        description="after a reset: the user who may enroll it without its token"
    )


Level = Literal["info", "warning", "critical"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=20_000)]
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$"
Version = Annotated[str, Path(pattern=VERSION_PATTERN)]


def _web_link(url: str) -> str:
    # Installs show it as a link: nothing but http(s) (no javascript:, file:, ...).
    if url and not url.lower().startswith(("https://", "http://")):
        raise ValueError("the download URL must start with https:// or http://")
    return url


Url = Annotated[str, Field(max_length=2000), AfterValidator(_web_link)]


class AnnouncementIn(Strict):
    title: Title
    body: Body = ""
    level: Level = "info"
    expires: AwareDatetime | None = None


class AnnouncementChanges(Strict):
    title: Title | None = None
    body: Body | None = None
    level: Level | None = None
    expires: AwareDatetime | None = None


class Announcement(BaseModel):
    id: str
    title: str | None
    body: str | None
    level: str | None
    created: datetime | None
    expires: datetime | None


class ReleaseIn(Strict):
    version: str = Field(pattern=VERSION_PATTERN)
    notes: Body = ""
    url: Url = ""
    required: bool = False


class ReleaseChanges(Strict):
    notes: Body | None = None
    url: Url | None = None
    required: bool | None = None


class Release(BaseModel):
    version: str
    notes: str | None
    url: str | None
    required: bool | None
    released: datetime | None
