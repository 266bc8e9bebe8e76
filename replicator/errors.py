"""The replicator's error tree, with classifiers so the retry logic reads plainly."""

from __future__ import annotations


class SyncError(Exception):
    def is_unavailable(self) -> bool:
        """True when central could not be reached or failed on its side: retry later."""
        return False


class NotEnrolled(SyncError):
    def __init__(self) -> None:
        super().__init__(
            "this install is not enrolled; run `locanext enroll --central URL --user NAME`"
        )


class CentralUnavailable(SyncError):
    def is_unavailable(self) -> bool:
        return True


class CentralRejected(SyncError):
    """Central answered 4xx: the request itself is wrong (bad token, bad data, too old)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"central refused the request ({status} {code}): {detail}")
        self.status, self.code, self.detail = status, code, detail

    def is_auth_error(self) -> bool:
        return self.status in (401, 403)

    def is_update_required(self) -> bool:
        """This LocaNext speaks a schema central no longer serves: the user must update."""
        return self.code == "update_required"

    def __str__(self) -> str:
        if self.is_update_required():
            return f"update required: {self.detail}"
        return super().__str__()


class BadPull(SyncError):
    """Central sent something this install must not apply (an unknown or upstream-only table)."""
