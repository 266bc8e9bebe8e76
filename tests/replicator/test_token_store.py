"""The central token is kept out of engine.db: in the OS keyring where one exists, else in a file
only this user can read. Enrollment and sync with a real central over HTTP use it; a token an
earlier LocaNext kept in engine.db moves into the store."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend

from central.admin_client import session_headers
from engine import token_store
from engine.db import Database
from replicator import link
from replicator.loop import sync_once
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def mina(central_url: str) -> str:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text
    return central_url


def _db_bytes(db: Database) -> bytes:
    folder = db.path.parent
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("engine.db"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_without_a_keyring_the_token_is_a_file_only_the_user_can_read(make_db, mina: str) -> None:
    db = make_db()
    token = link.enroll(db, mina, "mina", "mina-password").token
    path = token_store.token_file(db.path.parent)
    assert path.read_text().strip() == token
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert token.encode() not in _db_bytes(db)
    with db.read() as conn:
        keys = {row[0] for row in conn.execute("SELECT key FROM settings")}
    assert "central_token" not in keys
    assert token_store.open_store(db).where == f"{path} (readable only by you)"
    report = sync_once(db)  # the sync loop finds it there (central let it pull)
    assert report.pulled > 0


def test_a_token_kept_in_engine_db_by_an_earlier_version_moves_out(make_db, mina: str) -> None:
    db = make_db()
    token = link.enroll(db, mina, "mina", "mina-password").token
    token_store.token_file(db.path.parent).unlink()
    with db.write() as conn:  # as LocaNext kept it before
        conn.execute("INSERT INTO settings (key, value) VALUES ('central_token', ?)", (token,))
    assert link.load(db).token == token
    with db.read() as conn:
        assert conn.execute("SELECT 1 FROM settings WHERE key = 'central_token'").fetchone() is None
    assert token_store.token_file(db.path.parent).read_text().strip() == token
    sync_once(db)


class MemoryKeyring(KeyringBackend):
    """A keyring as the OS would offer one (priority above the threshold), kept in memory."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture
def system_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_with_a_keyring_the_token_goes_there(
    make_db, mina: str, system_keyring: MemoryKeyring
) -> None:
    db = make_db()
    token = link.enroll(db, mina, "mina", "mina-password").token
    assert system_keyring.items == {("LocaNext", f"central-token {db.install_id}"): token}
    assert not token_store.token_file(db.path.parent).exists()
    assert token.encode() not in _db_bytes(db)
    assert token_store.open_store(db).where.startswith("the system keyring (")
    assert sync_once(db).pulled > 0
    # two installs of one user on one machine keep a token each
    other = make_db("second")
    second = link.enroll(other, mina, "mina", "mina-password").token
    assert len(system_keyring.items) == 2 and second != token
