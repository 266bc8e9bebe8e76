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


class NotFound(CentralError):
    status = 404
    code = "not_found"


class Conflict(CentralError):
    status = 409
    code = "conflict"


class AheadOfCentral(Conflict):
    """A push that follows a version central does not hold (a push was lost, or central was
    restored from a backup): the install asks central's state and resumes from there."""

    code = "ahead_of_central"


class CopiedDatabase(Conflict):
    """The install's link is used from another machine than the one it was enrolled on: a copy
    of its engine.db. Pushing would have central drop the copy's changes as already merged."""

    code = "copied_database"


class PayloadTooLarge(CentralError):
    status = 413
    code = "payload_too_large"


class ValueTooLarge(PayloadTooLarge):
    """A change carries a value larger than any install may write."""

    code = "value_too_large"


class UpdateRequired(CentralError):
    status = 426
    code = "update_required"


class WrongCredentials(Unauthorized):
    """Unknown user name or wrong password: one answer for both, so names cannot be probed."""

    code = "wrong_credentials"


class TokenExpired(Unauthorized):
    code = "token_expired"


class AccountDisabled(Forbidden):
    code = "account_disabled"


class InstallRevoked(Forbidden):
    """An administrator revoked the install: installs show it as such, not as any refusal."""

    code = "revoked"


class InstallTaken(Forbidden):
    """The install id is enrolled to another user."""

    code = "install_taken"


class AlreadyEnrolled(Forbidden):
    """Re-enrolling an enrolled install needs its current token or an administrator's reset."""

    code = "already_enrolled"


class NotStaff(Forbidden):
    code = "not_staff"


class AdminOnly(Forbidden):
    code = "admin_only"


class TooManyRequests(CentralError):
    """Refused for a while; ``retry_after`` seconds go into the Retry-After header."""

    status = 429
    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class LockedOut(TooManyRequests):
    code = "locked_out"
