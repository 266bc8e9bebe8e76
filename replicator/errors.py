"""The replicator's error tree, with classifiers so the retry logic reads plainly.

Every error knows the :class:`~engine.sync_state.FailureKind` it stands for; the loop records
that kind (with central's code and the detail) as the install's last failure."""

from __future__ import annotations

from engine.sync_state import FailureKind, SyncFailure


class SyncError(Exception):
    kind = FailureKind.REFUSED
    code: str | None = None

    @property
    def detail(self) -> str:
        return str(self)

    def failure(self) -> SyncFailure:
        return SyncFailure(self.kind, self.detail, self.code)

    def is_unavailable(self) -> bool:
        """True when central could not be reached or failed on its side: retry later."""
        return self.kind in (FailureKind.UNREACHABLE, FailureKind.CENTRAL_FAILED)


class NotEnrolled(SyncError):
    kind = FailureKind.NOT_ENROLLED

    def __init__(self) -> None:
        super().__init__(
            "this install is not enrolled; run `locanext enroll --central URL --user NAME`"
        )


class CentralUnavailable(SyncError):
    """No answer from central: the connection failed or timed out."""

    kind = FailureKind.UNREACHABLE


class CentralFailed(CentralUnavailable):
    """Central answered, but with a 5xx or a body this install cannot read."""

    kind = FailureKind.CENTRAL_FAILED


# Central's codes that name a kind of their own, then the statuses that do; any other 4xx is
# REFUSED, with central's code kept next to it.
_KIND_OF_CODE = {
    "update_required": FailureKind.UPDATE_REQUIRED,
    "revoked": FailureKind.REVOKED,
    "account_disabled": FailureKind.ACCOUNT_DISABLED,
    "copied_database": FailureKind.COPIED_DATABASE,
}
_KIND_OF_STATUS = {401: FailureKind.UNAUTHORIZED, 426: FailureKind.UPDATE_REQUIRED}


class CentralRejected(SyncError):
    """Central answered 4xx: the request itself is wrong (bad token, bad data, too old)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"central refused the request ({status} {code}): {detail}")
        self.status, self.code, self._detail = status, code, detail
        self.kind = _KIND_OF_CODE.get(code) or _KIND_OF_STATUS.get(status, FailureKind.REFUSED)

    @property
    def detail(self) -> str:
        return self._detail

    def is_update_required(self) -> bool:
        """This LocaNext speaks a schema central no longer serves: the user must update."""
        return self.kind is FailureKind.UPDATE_REQUIRED


class CentralRestored(CentralFailed):
    """A pull answered from another epoch than the round began in: central was restored or
    wiped meanwhile. Nothing of it is applied; the next round starts over."""


class RestoredDatabase(SyncError):
    """Central holds versions of this site past this engine.db's own counter: engine.db went
    back to an older copy (a restored backup, or a copy taken earlier). Pushing now would have
    central drop its new versions as already merged, so sync stops before it."""

    kind = FailureKind.COPIED_DATABASE
    code = "restored_database"

    def __init__(self, central: int, local: int) -> None:
        super().__init__(
            f"central already holds this install's changes up to version {central}, but this "
            f"engine.db only reaches version {local}: it was restored from an older copy. "
            "Re-key it (`locanext rekey`, or the app's account page) so its changes are sent "
            "under an identity of their own; nothing is lost"
        )


class BadPull(SyncError):
    """Central sent something this install must not apply (an unknown or upstream-only table)."""

    kind = FailureKind.BAD_PULL
