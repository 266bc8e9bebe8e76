"""Central's error tree. Each error knows its HTTP status and a stable code; one handler in
central.api.app renders them as ``{"code", "detail"}``."""

from __future__ import annotations


class CentralError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadChangeset(CentralError):
    """The changeset is malformed or names tables, columns or keys central does not accept."""

    status = 400
    code = "bad_changeset"


class ClockOutOfRange(BadChangeset):
    """A change's col_version or causal length jumps further past central's than any cr-sqlite
    install's writes could take it."""

    code = "clock_out_of_range"


class Unauthorized(CentralError):
    status = 401
    code = "unauthorized"


class Forbidden(CentralError):
    status = 403
    code = "forbidden"


class RestrictedRow(Forbidden):
    """A change would create or delete a row of a table whose rows only central creates."""

    code = "restricted_row"


class WrongUser(Forbidden):
    """A change attributes a row to someone other than the install's enrolled user."""

    code = "wrong_user"


class Conflict(CentralError):
    status = 409
    code = "conflict"


class PayloadTooLarge(CentralError):
    status = 413
    code = "payload_too_large"


class UpdateRequired(CentralError):
    status = 426
    code = "update_required"
