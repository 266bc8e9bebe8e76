"""This install's account as the app shows it: who works here, whether they are signed in (and
remembered), a sign-out that waits for queued changes, the profile, and what the user must do
when central refuses the account.

The link itself (central's URL, the token, the enrolled user) is written by ``replicator.link``;
this module reads the user it names and keeps the app's own choices beside it in the local
settings. Talking to central is not the engine's business: the app gives the pages a
:class:`Linker` that signs in and out (``replicator.account``).

Who runs are recorded under: the signed-in user, or nobody (``""``) while nobody is signed in.
The next user to sign in adopts the runs and sessions recorded under nobody, never those of a
user who was signed in here before (:func:`adopt_runs`): a sign-out sends that user's queued
changes first, or keeps the link (``signing_out``) until it can, so nothing of theirs is ever
sent under another name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from engine import local_settings
from engine.db import Connection
from engine.errors import EngineError
from engine.sync_state import FailureKind, SyncStatus

# Written by replicator.link (read here only).
LINK_URL, LINK_USER = "central_url", "enrolled_user"
# The app's own choices.
REMEMBER = "account_remember"  # "0": the link ends when the app closes
SIGNING_OUT = "account_signing_out"  # "1": signed out, the link waits for queued changes
WORK_OFFLINE = "account_work_offline"  # "1": the user chose to work without signing in
LAST_URL = "account_last_central_url"  # the sign-in page's default
KNOWN_USERS = "account_users"  # JSON list: users who were signed in here
# Columns of its own users row an install may change (central refuses any other).
PROFILE_COLUMNS = ("display_name", "team", "language")
PROFILE_CHARS = 200


class AccountError(EngineError):
    """Signing in or out did not happen; ``code`` says why (central's code when it refused)."""

    status = 409

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


class NoProfile(EngineError):
    status = 404
    code = "no_profile"


class BadProfile(EngineError):
    status = 422
    code = "bad_profile"


class Linker(Protocol):
    """What the pages ask of the link to central (the app builds it from the replicator)."""

    def sign_in(self, central_url: str, username: str, password: str, remember: bool) -> None:
        """Enroll as ``username``; raises :class:`AccountError`. The password is not kept."""

    def sign_out(self) -> bool:
        """Send what is queued and end the link; False when it has to wait (central is not
        reachable, or refused): the link stays until the queued changes are sent."""

    def sync_now(self) -> None:
        """Start a sync round now."""

    def set_sync_interval(self, seconds: float) -> None:
        """Seconds between sync rounds from now on."""

    def rekey(self) -> str:
        """Give this copied or restored install a new identity, keeping every row; returns the
        new install id. The user signs in again afterwards."""


@dataclass(frozen=True)
class AccountState:
    user: str | None  # the user whose link this install holds (signed in, or signing out)
    central_url: str | None
    remember: bool
    signing_out: bool
    work_offline: bool
    last_central_url: str | None

    @property
    def signed_in(self) -> bool:
        return self.user is not None and not self.signing_out

    @property
    def asks_to_sign_in(self) -> bool:
        """The app opens on the sign-in page (first start, or after signing out)."""
        return not self.signed_in and not self.work_offline


def state(conn: Connection) -> AccountState:
    url = local_settings.get(conn, LINK_URL)
    user = local_settings.get(conn, LINK_USER)
    return AccountState(
        user=user or None,
        central_url=url,
        remember=local_settings.get(conn, REMEMBER) != "0",
        signing_out=bool(user) and local_settings.get(conn, SIGNING_OUT) == "1",
        work_offline=local_settings.get(conn, WORK_OFFLINE) == "1",
        last_central_url=local_settings.get(conn, LAST_URL) or url,
    )


def username(conn: Connection, configured: str = "") -> str:
    """The name runs are recorded under now: the user whose link this install holds (central
    takes its runs under no other name), else ``configured`` (a setting), else nobody (``""``;
    the next user to sign in adopts them)."""
    return state(conn).user or configured or ""


def _known_users(conn: Connection) -> set[str]:
    return set(json.loads(local_settings.get(conn, KNOWN_USERS) or "[]"))


def adopt_runs(conn: Connection, user: str) -> int:
    """Attribute to ``user`` the runs and app sessions recorded while nobody was signed in here
    (central takes upstream rows only under the enrolled user). Rows of anyone who was signed in
    here before stay theirs. Returns how many rows changed."""
    known = sorted(_known_users(conn) - {user})
    others = ", ".join("?" * len(known))
    changed = 0
    for table in ("sessions", "operations"):
        changed += conn.execute(
            f"UPDATE {table} SET username = ? WHERE username IS NOT ?"  # noqa: S608 - our names
            f" AND (username IS NULL OR username NOT IN ({others}))",
            (user, user, *known),
        ).rowcount
    local_settings.put(conn, KNOWN_USERS, json.dumps(sorted({*known, user})))
    return changed


def signed_in(conn: Connection, user: str, central_url: str, *, remember: bool) -> int:
    """Keep the app's choices after ``user`` enrolled; returns the runs adopted."""
    local_settings.put(conn, REMEMBER, "1" if remember else "0")
    local_settings.put(conn, SIGNING_OUT, None)
    local_settings.put(conn, WORK_OFFLINE, None)
    local_settings.put(conn, LAST_URL, central_url.rstrip("/"))
    return adopt_runs(conn, user)


def begin_sign_out(conn: Connection) -> None:
    """The user signed out; until the link ends, it only serves their queued changes."""
    local_settings.put(conn, SIGNING_OUT, "1")


def signed_out(conn: Connection) -> None:
    """The link has ended: the next start asks to sign in again."""
    for key in (SIGNING_OUT, REMEMBER, WORK_OFFLINE):
        local_settings.put(conn, key, None)


def choose_offline(conn: Connection) -> None:
    local_settings.put(conn, WORK_OFFLINE, "1")


@dataclass(frozen=True)
class Profile:
    username: str
    display_name: str
    team: str
    language: str
    role: str
    active: bool


def profile(conn: Connection, user: str) -> Profile | None:
    """``user``'s row of the shared users table, once a pull has brought it."""
    row = conn.execute(
        "SELECT username, display_name, team, language, role, active FROM users WHERE username = ?",
        (user,),
    ).fetchone()
    return None if row is None else Profile(*row[:5], active=bool(row[5]))


def save_profile(conn: Connection, user: str, **values: str) -> int:
    """Change the editable columns of ``user``'s row (only those that differ, so an unchanged
    cell keeps its version); returns how many changed. They replicate to central."""
    unknown = set(values) - set(PROFILE_COLUMNS)
    if unknown:
        raise BadProfile(f"only {', '.join(PROFILE_COLUMNS)} can be changed here")
    current = profile(conn, user)
    if current is None:
        raise NoProfile(f"the profile of {user!r} has not arrived from central yet; sync first")
    cleaned = {k: v.strip() for k, v in values.items()}
    too_long = [k for k, v in cleaned.items() if len(v) > PROFILE_CHARS]
    if too_long:
        raise BadProfile(f"{too_long[0]} is longer than {PROFILE_CHARS} characters")
    if "display_name" in cleaned and not cleaned["display_name"]:
        raise BadProfile("the display name cannot be empty")
    changed = {k: v for k, v in cleaned.items() if getattr(current, k) != v}
    for column, value in changed.items():  # column names come from PROFILE_COLUMNS
        conn.execute(f"UPDATE users SET {column} = ? WHERE username = ?", (value, user))  # noqa: S608
    return len(changed)


@dataclass(frozen=True)
class Notice:
    """What the header says when the user must act: a title, what happened and what to do, and
    a way forward (a button to ``target``)."""

    kind: str
    title: str
    message: str
    action: str
    target: str


_WAITS = "Your work stays on this PC and sync waits"


def notice(account: AccountState, status: SyncStatus) -> Notice | None:
    """The account notice for the last sync outcome, or None when nothing needs the user
    (offline is normal: the quiet status badge says so)."""
    failure = status.last_failure
    if account.user is None or failure is None:
        return None
    kind, who = failure.kind, account.user
    if kind is FailureKind.REVOKED:
        return Notice(
            kind,
            "Link revoked",
            f"An administrator revoked this PC's link to central. {_WAITS}; ask an administrator "
            "to restore it, then sign in again.",
            "Sign in again",
            "/signin",
        )
    if kind is FailureKind.ACCOUNT_DISABLED:
        return Notice(
            kind,
            "Account disabled",
            f"The account {who} is disabled at central. {_WAITS} until an administrator "
            "enables it: contact your administrator.",
            "Details",
            "/account",
        )
    if kind is FailureKind.UNAUTHORIZED:
        expired = failure.code == "token_expired"
        return Notice(
            kind,
            "Sign-in expired" if expired else "Signed out by central",
            ("Your sign-in expired after 90 days without sync." if expired else
             "Central no longer accepts this PC's link (an administrator may have reset it).")
            + f" {_WAITS} until you sign in again; nothing is lost.",
            "Sign in again",
            "/signin",
        )  # fmt: skip
    if kind is FailureKind.UPDATE_REQUIRED:
        return Notice(
            kind,
            "Update required",
            f"Central needs a newer LocaNext ({failure.detail}). {_WAITS} until you update.",
            "How to update",
            "/account",
        )
    if kind is FailureKind.COPIED_DATABASE:
        return Notice(
            kind,
            "Copied database",
            f"{failure.detail} {_WAITS}, so no change is dropped. Re-key this PC: it gets an "
            "identity of its own, keeps every row, and you sign in again.",
            "Re-key this PC",
            "/account",
        )
    if kind.offline:
        return None
    # Any other refusal (central's code says which), or changes this install must not apply.
    code = f" ({failure.code})" if failure.code else ""
    if status.stuck:
        return Notice(
            kind,
            "Sync stuck",
            f"Central refused this PC's changes the same way {status.repeated} times in a "
            f"row{code}: {failure.detail}. The app keeps working and your changes stay here; "
            "sync retries now and then. Send the sync log to your administrator.",
            "Sync log",
            "/sync-log",
        )
    return Notice(
        kind,
        "Sync refused" if kind is FailureKind.REFUSED else "Sync error",
        f"Central refused this PC's changes{code}: {failure.detail}. {_WAITS}; "
        "contact your administrator.",
        "Sync log",
        "/sync-log",
    )
