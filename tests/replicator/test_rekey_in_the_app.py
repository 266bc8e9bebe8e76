"""The app's way out of a copied database: the header notice offers "Re-key this PC"; the
account link re-keys engine.db in place (the app keeps running), ends the app session first,
and after signing in again every run of the copy reaches central under the new install id,
while the original goes on under the old one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from engine import account, install, sync_state
from engine.db import Database
from engine.operations import OperationLog
from engine.sync_state import FailureKind
from replicator.account import AccountLink
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from tests.central.restartable import RestartableCentral, running

MACHINE = "LOCANEXT_APP_MACHINE_ID"


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[RestartableCentral]:
    with running(central_db, pg_dsn, ("mina",)) as served:
        yield served


def _run(db: Database) -> str:
    ops = OperationLog(db)
    op = ops.start(tool="text_stats", function="count", username="mina")
    ops.finish(op, status="succeeded")
    return op


def _mirror(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, install_id FROM operations")).all())


def test_a_copy_rekeys_from_the_app_and_loses_nothing(
    central: RestartableCentral, central_db: Engine, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(MACHINE, "pc-a")
    a = Database(tmp_path / "a" / "engine.db")
    AccountLink(a).sign_in(central.url, "mina", "mina-password", remember=True)
    first = _run(a)
    sync_once(a)
    a.close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    a = Database(tmp_path / "a" / "engine.db")
    b = Database(tmp_path / "b" / "engine.db")
    try:
        old_id = a.install_id
        monkeypatch.setenv(MACHINE, "pc-b")
        session = install.start_session(b, "mina")  # the app is running on the copy
        copied = _run(b)
        with pytest.raises(CentralRejected, match="another PC"):
            sync_once(b)
        with b.read() as conn:
            status, state = sync_state.status(conn), account.state(conn)
        assert status.parked and status.last_failure.kind is FailureKind.COPIED_DATABASE
        notice = account.notice(state, status)
        assert (notice.title, notice.action) == ("Copied database", "Re-key this PC")

        sessions: list[str] = []
        link = AccountLink(
            b,
            on_user_change=lambda reason: sessions.append(
                install.end_session(b, session, reason) or install.start_session(b, "mina")
            ),
        )
        new_id = link.rekey()
        assert new_id == b.install_id != old_id and len(sessions) == 1
        with b.read() as conn:
            assert account.state(conn).user is None  # sign in again
            assert sync_state.status(conn).last_failure is None
        link.sign_in(central.url, "mina", "mina-password", remember=True)
        sync_once(b)
        monkeypatch.setenv(MACHINE, "pc-a")
        later = _run(a)
        sync_once(a)

        mirror = _mirror(central_db)
        assert mirror == {first: old_id, later: old_id, copied: new_id}
        with central_db.connect() as conn:
            sessions_at_central = dict(
                conn.execute(text("SELECT id, install_id FROM sessions")).all()
            )
        assert sessions_at_central[sessions[0]] == new_id  # the app's new session, new id
    finally:
        a.close()
        b.close()
