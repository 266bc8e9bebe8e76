"""The wire format between an install's replicator and central: plain pydantic models, no I/O.

This module is the only code the install side and the central side share. One :class:`Change` is
exactly one row of cr-sqlite's ``crsql_changes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from replicator.wire.values import SqlValue, WireValue

__all__ = [
    "CHANGE_COLUMNS",
    "Change",
    "EnrollRequest",
    "EnrollResponse",
    "HeldNotice",
    "ErrorBody",
    "PullResponse",
    "PushRequest",
    "PartialVersion",
    "PushResponse",
    "SiteState",
    "UnlinkResponse",
    "VersionSpan",
    "SqlValue",
    "MAX_CHANGES_PER_PUSH",
    "MAX_BODY_BYTES",
    "MACHINE_HEADER",
    "MIN_BODY_BYTES",
    "MAX_VALUE_BYTES",
    "MAX_KEY_BYTES",
    "storable_text",
]

MAX_CHANGES_PER_PUSH = 5_000
MAX_BODY_BYTES = 16 * 1024 * 1024
# The smallest body limit central may be given: a push of any one change the engine lets an
# install write (one value of at most 1 MiB, its text escaped at worst six bytes a character)
# fits under it, so no single change can be too large to push.
MIN_BODY_BYTES = 8 * 1024 * 1024
# The largest text (UTF-8) or blob value of a change, in bytes: what the engine lets an install
# write (engine.db.MAX_VALUE_BYTES, the same figure; the engine imports nothing of ours).
MAX_VALUE_BYTES = 1024 * 1024
# The largest packed primary key of a change: central indexes keys, and an index entry holds a few
# KB at most; the engine refuses a longer key at the write (engine.db.MAX_KEY_BYTES, same figure).
MAX_KEY_BYTES = 1024
# Every request of an install names its machine nonce in this header (see EnrollRequest.machine).
MACHINE_HEADER = "X-LocaNext-Machine"
_NONCE = r"^[0-9a-f]{32}$"

_bytes_b64 = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64", frozen=True)


def _b64_bytes(low: int, high: int) -> Any:
    """A bytes field of ``low`` to ``high`` bytes, whose JSON schema states the lengths of its
    base64 text (what crosses the wire), not of the decoded bytes."""
    chars = {"minLength": 4 * -(-low // 3), "maxLength": 4 * -(-high // 3)}
    return Field(min_length=low, max_length=high, json_schema_extra=chars)


# The columns of crsql_changes, in the order from_row/as_row use.
CHANGE_COLUMNS = ("table", "pk", "cid", "val", "col_version", "db_version", "site_id", "cl", "seq")


class Change(BaseModel):
    """One crsql_changes row. ``site_id`` is the origin's, never NULL on the wire."""

    model_config = _bytes_b64

    table: str = Field(min_length=1, max_length=128)
    pk: bytes = _b64_bytes(1, MAX_KEY_BYTES)
    cid: str = Field(min_length=1, max_length=128)
    val: WireValue = None
    col_version: int = Field(ge=0, le=2**63 - 1)
    db_version: int = Field(ge=0, le=2**63 - 1)
    site_id: bytes = _b64_bytes(16, 16)
    cl: int = Field(ge=0, le=2**63 - 1)
    seq: int = Field(ge=0, le=2**31 - 1)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Change:
        """From a crsql_changes row selected in CHANGE_COLUMNS order."""
        return cls(**dict(zip(CHANGE_COLUMNS, row, strict=True)))

    def as_row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in CHANGE_COLUMNS)


class VersionSpan(BaseModel):
    """One of the install's transactions as it read it: how many changes, and the last seq.

    A push may carry a version whole or only a part of it (a transaction larger than a push);
    central shows a version only once it has all of it.
    """

    model_config = ConfigDict(frozen=True)

    db_version: int = Field(ge=1, le=2**63 - 1)
    count: int = Field(ge=1, le=2**31 - 1)
    last_seq: int = Field(ge=0, le=2**31 - 1)


class PushRequest(BaseModel):
    """An install's own changes in (db_version, seq) order, with a span for each version."""

    model_config = _bytes_b64

    site_id: bytes = _b64_bytes(16, 16)
    schema_version: int = Field(ge=0)
    # The watermark central last reported: the push carries the versions after it. Central refuses
    # a push that starts past its own watermark (an earlier push was lost or overtaken).
    since: int = Field(0, ge=0)
    versions: list[VersionSpan] = Field(max_length=MAX_CHANGES_PER_PUSH)
    changes: list[Change] = Field(max_length=MAX_CHANGES_PER_PUSH)


class PartialVersion(BaseModel):
    """A version central holds only part of: resume sending it at ``next_seq``."""

    db_version: int
    next_seq: int


class PushResponse(BaseModel):
    acked_db_version: int = Field(description="every version up to this one is merged")
    applied: int = Field(description="rows and cells that won and changed the mirror")
    parked: int = Field(
        0,
        description="changes held back: part of an incomplete version, or "
        "for a column central does not know yet",
    )
    partial: PartialVersion | None = None


class SiteState(BaseModel):
    """What central holds for one install: where the replicator resumes."""

    acked_db_version: int
    partial: PartialVersion | None = None
    max_body_bytes: int = Field(
        MAX_BODY_BYTES,
        ge=MIN_BODY_BYTES,
        description="central's body limit: every push must encode to fewer bytes",
    )
    # Central's epoch: a new one means central was restored or wiped (start over against it).
    epoch: str = ""


class PullResponse(BaseModel):
    """Shared-table changes stamped with central's db_version, complete versions only."""

    model_config = _bytes_b64

    changes: list[Change]
    cursor: int = Field(description="pass back as `since` on the next pull")
    more: bool
    epoch: str = Field("", description="central's epoch; the cursor means nothing in another")


def storable_text(value: object) -> object:
    """Refuse text PostgreSQL cannot hold: a NUL character, or a lone surrogate (not UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text may not contain a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (a lone surrogate was sent)") from None
    return value


class EnrollRequest(BaseModel):
    model_config = _bytes_b64

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    site_id: bytes = _b64_bytes(16, 16)
    install_name: str = Field(default="", max_length=200)
    schema_version: int = Field(ge=1)
    # The install's current token when it enrolls again (central rotates it); a first
    # enrollment has none.
    token: str | None = Field(default=None, max_length=256)
    # The nonce of this engine.db on this machine: central binds the link to it, and a request
    # with the same token from another machine is a copy of the install (409 copied_database).
    machine: str | None = Field(default=None, pattern=_NONCE)

    @field_validator("username", "password", "install_name", "token")
    @classmethod
    def _storable(cls, value: object) -> object:
        return storable_text(value)


class EnrollResponse(BaseModel):
    install_id: str
    token: str
    username: str


class UnlinkResponse(BaseModel):
    """Central ended the install's token (its user signed out); any user may enroll it next."""

    install_id: str
    username: str


class HeldNotice(BaseModel):
    """An install tells central it stopped sending on its own: engine.db is behind what central
    merged from it (restored from an older copy). Central records it in the install's health."""

    code: Literal["restored_database"]


class ErrorBody(BaseModel):
    """Every 4xx/5xx from central has this body: a stable code and a sentence for people."""

    code: str
    detail: str
