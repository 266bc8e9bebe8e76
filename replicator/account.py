"""Signing in and out of central from the app: the replicator's side of the install's account
(``engine.account`` keeps the state; this module talks to central).

Signing in enrolls through :func:`replicator.link.enroll`, the same code as ``locanext enroll``;
the password is not kept. Signing out first sends everything queued, under the signed-in user's
link, then ends the token at central (``POST /api/enroll/unlink``) and forgets the link. When
that cannot happen now (central unreachable, or refusing), the sign-out waits: the link is kept
only to send that user's queued changes, runs still go under their name, and nobody else can
sign in until they are sent (or that user signs in again). So nothing queued is lost, and
nothing of one user is ever sent under another's name. A waiting sign-out is finished by
:meth:`AccountLink.settle`: at start, at close, and before another user signs in.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from engine import account, sync_state
from engine.account import AccountError
from engine.db import Database
from replicator import link
from replicator.errors import CentralRejected, NotEnrolled, SyncError
from replicator.loop import Syncer, sync_once
from replicator.rekey import rekey

log = logging.getLogger(__name__)

# Central's answer when the token is already gone: a sign-out that got this far before a crash.
_TOKEN_GONE = "unauthorized"


class AccountLink:
    """Implements :class:`engine.account.Linker` for the app's pages."""

    def __init__(
        self,
        db: Database,
        *,
        install_name: str = "",
        syncer: Syncer | None = None,
        on_user_change: Callable[[str], None] | None = None,
    ) -> None:
        self._db = db
        self._install_name = install_name
        self._syncer = syncer
        self._on_user_change = on_user_change or (lambda _reason: None)
        # One account change at a time (a sign-in must not race the sign-out of the last run).
        self._lock = threading.RLock()

    def _state(self) -> account.AccountState:
        with self._db.read() as conn:
            return account.state(conn)

    def sign_in(self, central_url: str, username: str, password: str, remember: bool) -> None:
        url = central_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise AccountError("bad_url", "central's URL starts with http:// or https://")
        with self._lock:
            self._sign_in(url, username, password, remember)

    def _sign_in(self, url: str, username: str, password: str, remember: bool) -> None:
        current = self._state()
        if current.user is not None and current.user != username:
            if not current.signing_out:
                raise AccountError(
                    "signed_in_as_other", f"{current.user} is signed in here; sign out first"
                )
            if not self.settle():
                raise AccountError("other_user_waiting", self._waiting_message(current.user))
        try:
            link.enroll(self._db, url, username, password, self._install_name)
        except SyncError as exc:
            raise _refusal(exc, url) from None
        with self._db.write() as conn:
            account.signed_in(conn, username, url, remember=remember)
            sync_state.clear_failure(conn)
        # The app session recorded under nobody was adopted with the runs: it is this user's now.
        log.info("signed in as %s at %s (remembered: %s)", username, url, remember)
        self.sync_now()

    def _waiting_message(self, user: str) -> str:
        with self._db.read() as conn:
            pending = sync_state.pending_changes(conn)
        return (
            f"{pending} change(s) of {user} have not reached central yet, so nobody else can "
            f"sign in here. Connect to central and try again, or sign in as {user} to send them."
        )

    def sign_out(self) -> bool:
        with self._lock:
            if self._state().user is None:
                return True
            with self._db.write() as conn:
                account.begin_sign_out(conn)  # first: a crash from here on resumes at next start
            log.info("signing out")
            return self.settle()

    def end_if_not_remembered(self) -> None:
        """At start and at close: a link that was not to be remembered starts its sign-out
        (:meth:`settle` finishes it)."""
        with self._lock:
            state = self._state()
            if state.user is not None and not state.remember and not state.signing_out:
                with self._db.write() as conn:
                    account.begin_sign_out(conn)

    def settle(self) -> bool:
        """Finish a waiting sign-out if central takes it now; True when no link waits."""
        with self._lock:
            return self._settle()

    def _settle(self) -> bool:
        state = self._state()
        if state.user is None:
            return True
        if not state.signing_out:
            return True
        try:
            central = link.load(self._db)
        except NotEnrolled:
            return self._forget()
        try:
            with central.client() as client:
                sync_once(self._db, client)  # everything queued, under this user's link
                client.unlink()
        except CentralRejected as exc:
            if exc.code != _TOKEN_GONE or self._pending():
                log.warning("the sign-out waits: %s", exc)
                return False
        except SyncError as exc:
            log.info("the sign-out waits: %s", exc)
            return False
        return self._forget()

    def _pending(self) -> int:
        with self._db.read() as conn:
            return sync_state.pending_changes(conn)

    def _forget(self) -> bool:
        with self._db.write() as conn:
            link.forget(self._db)
            account.signed_out(conn)
            sync_state.clear_failure(conn)
        log.info("signed out; the link to central has ended")
        self._on_user_change("signed out")
        return True

    def sync_now(self) -> None:
        """A round now, even when sync waits for the user (the user asked for it)."""
        if self._syncer is not None:
            self._syncer.resume()

    def rekey(self) -> str:
        with self._lock:
            # The app session ends (and the next begins) before: rows central holds a part of
            # stay the old install's, and the new one may not write them.
            self._on_user_change("re-keyed")
            report = rekey(self._db, self._install_name)
        return report.new_install_id

    def set_sync_interval(self, seconds: float) -> None:
        with self._db.write() as conn:
            chosen = sync_state.set_interval(conn, seconds)
        if self._syncer is not None:
            self._syncer.set_interval(chosen)


# Central's codes the sign-in page explains in its own words; others keep central's detail.
def _refusal(exc: SyncError, url: str) -> AccountError:
    if exc.is_unavailable():
        return AccountError("unreachable", f"central cannot be reached at {url}: {exc.detail}")
    return AccountError(exc.code or exc.kind.value, exc.detail)
