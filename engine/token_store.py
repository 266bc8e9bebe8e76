"""Where this install keeps its central token.

In the OS keyring where one exists (Secret Service on Linux desktops, Windows Credential Manager,
macOS Keychain; through the `keyring` library), else in a file only this user can read:
``<data dir>/secrets/central-token``, mode 0600 in a 0700 folder. Never in engine.db, so a copy or
a backup of engine.db carries no credential. A token that an earlier LocaNext kept in engine.db's
``settings`` table moves into the store the first time the store is opened.

``PYTHON_KEYRING_BACKEND`` (the keyring library's own variable) chooses a keyring;
``keyring.backends.fail.Keyring`` there keeps the token in the file.
"""

from __future__ import annotations

import logging
import stat
from abc import ABC, abstractmethod
from pathlib import Path

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from engine import local_settings
from engine.db import Database
from engine.errors import EngineError
from engine.private_files import write_private

log = logging.getLogger(__name__)

SERVICE = "LocaNext"
LEGACY_KEY = "central_token"  # where LocaNext kept the token before, in engine.db's settings
# Real OS keyrings have priority 1 or more; the "fail" backend and plain-text stores less.
MIN_KEYRING_PRIORITY = 1


class TokenStoreError(EngineError):
    """The keyring refused to read or keep the token (locked, or its service went away)."""

    code = "token_store_failed"


class TokenStore(ABC):
    where: str  # for people: "the system keyring (...)" or the file's path

    @abstractmethod
    def get(self) -> str | None: ...

    @abstractmethod
    def put(self, token: str) -> None: ...

    @abstractmethod
    def clear(self) -> None:
        """Forget the token (signing out); nothing happens when there is none."""


class KeyringStore(TokenStore):
    def __init__(self, backend: KeyringBackend, account: str) -> None:
        self._backend = backend
        self._account = account
        self.where = f"the system keyring ({backend.name})"

    def get(self) -> str | None:
        try:
            return self._backend.get_password(SERVICE, self._account)
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(
                f"cannot read the central token from {self.where}: {exc}"
            ) from exc

    def put(self, token: str) -> None:
        try:
            self._backend.set_password(SERVICE, self._account, token)
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(f"cannot keep the central token in {self.where}: {exc}") from exc

    def clear(self) -> None:
        try:
            self._backend.delete_password(SERVICE, self._account)
        except keyring.errors.PasswordDeleteError:
            pass  # there was none
        except keyring.errors.KeyringError as exc:
            raise TokenStoreError(
                f"cannot remove the central token from {self.where}: {exc}"
            ) from exc


class FileStore(TokenStore):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"{path} (readable only by you)"

    def get(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def put(self, token: str) -> None:
        write_private(self.path, token)
        self.path.parent.chmod(0o700)  # ours: tighten it even if it was made otherwise
        if stat.S_IMODE(self.path.stat().st_mode) & 0o077:
            self.path.chmod(0o600)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def token_file(data_dir: Path) -> Path:
    return data_dir / "secrets" / "central-token"


def _system_keyring() -> KeyringBackend | None:
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring configuration: the file still works
        log.warning("no usable keyring (%s); keeping the central token in a file", exc)
        return None
    return backend if backend.priority >= MIN_KEYRING_PRIORITY else None


def open_store(db: Database) -> TokenStore:
    """This install's token store; moves a token engine.db still holds into it."""
    backend = _system_keyring()
    store: TokenStore = (
        KeyringStore(backend, f"central-token {db.install_id}")
        if backend is not None
        else FileStore(token_file(db.path.parent))
    )
    _adopt_legacy(db, store)
    return store


def _adopt_legacy(db: Database, store: TokenStore) -> None:
    with db.read() as conn:
        legacy = local_settings.get(conn, LEGACY_KEY)
    if legacy is None:
        return
    if store.get() is None:
        store.put(legacy)
    with db.write() as conn:
        local_settings.delete(conn, LEGACY_KEY)
    log.info("moved the central token out of engine.db into %s", store.where)
