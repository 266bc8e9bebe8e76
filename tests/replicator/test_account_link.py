"""Signing in and out from the app (replicator.account.AccountLink) against a real central over
HTTP, with real engine.db files: runs made before signing in reach the mirror under the user who
signs in; a sign-out sends the queue first and ends the token at central; without central it
waits, keeps the user's queued runs under their name and keeps other users out until they are
sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from engine import account, install, token_store
from engine.account import AccountError
from engine.operations import OperationLog
from replicator.account import AccountLink
from replicator.loop import sync_once
from tests.central.restartable import RestartableCentral, running


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[RestartableCentral]:
    with running(central_db, pg_dsn, ("mina", "jun")) as served:
        yield served


def _run(db) -> str:
    """A run recorded the way the app records it: under whoever works here now."""
    with db.read() as conn:
        user = account.username(conn)
    ops = OperationLog(db)
    op = ops.start(tool="text_stats", function="count", username=user)
    ops.finish(op, status="succeeded")
    return op


def _mirror(central: RestartableCentral, engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, username FROM operations")).all())


def _enrollment(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return tuple(
            conn.execute(text("SELECT username, unlinked IS NOT NULL FROM enrollments")).one()
        )


def _state(db) -> account.AccountState:
    with db.read() as conn:
        return account.state(conn)


def test_runs_before_signing_in_reach_the_mirror_under_the_user(
    central: RestartableCentral, central_db: Engine, make_db
) -> None:
    db = make_db()
    session = install.start_session(db, "")
    before = [_run(db) for _ in range(2)]
    AccountLink(db).sign_in(central.url + "/", "mina", "mina-password", remember=True)
    after = _run(db)
    sync_once(db)
    assert _mirror(central, central_db) == {op: "mina" for op in [*before, after]}
    with central_db.connect() as conn:
        owner = conn.execute(text("SELECT username FROM sessions WHERE id = :i"), {"i": session})
        assert owner.scalar_one() == "mina"
    state = _state(db)
    assert (state.user, state.signed_in, state.remember) == ("mina", True, True)
    assert state.central_url == central.url


def test_a_wrong_password_or_no_central_signs_nobody_in_and_keeps_no_password(
    central: RestartableCentral, make_db
) -> None:
    db = make_db()
    accounts = AccountLink(db)
    with pytest.raises(AccountError) as wrong:
        accounts.sign_in(central.url, "mina", "not-her-password", remember=True)
    assert wrong.value.code == "wrong_credentials"
    with pytest.raises(AccountError) as bad:
        accounts.sign_in("team-server:8700", "mina", "mina-password", remember=True)
    assert bad.value.code == "bad_url"
    central.stop()
    with pytest.raises(AccountError) as away:
        accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    assert away.value.code == "unreachable" and central.url in away.value.detail
    assert _state(db).user is None
    central.start()
    accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    with db.read() as conn:
        stored = [v for (v,) in conn.execute("SELECT value FROM settings").fetchall()]
    assert stored and not any("mina-password" in (v or "") for v in stored)


def test_signing_out_sends_the_queue_then_ends_the_link(
    central: RestartableCentral, central_db: Engine, make_db
) -> None:
    db = make_db()
    accounts = AccountLink(db)
    accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    queued = _run(db)  # not synced yet
    assert accounts.sign_out() is True
    assert _mirror(central, central_db) == {queued: "mina"}
    assert _enrollment(central_db) == ("mina", True)
    state = _state(db)
    assert (state.user, state.central_url, state.asks_to_sign_in) == (None, None, True)
    assert token_store.open_store(db).get() is None  # the token is gone from its store too
    offline = _run(db)  # nobody signed in: the next user's
    accounts.sign_in(central.url, "jun", "jun-password", remember=True)
    sync_once(db)
    assert _mirror(central, central_db) == {queued: "mina", offline: "jun"}
    assert _enrollment(central_db) == ("jun", False)


def test_without_central_the_sign_out_waits_and_keeps_other_users_out(
    central: RestartableCentral, central_db: Engine, make_db
) -> None:
    db = make_db()
    accounts = AccountLink(db)
    accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    sync_once(db)
    central.stop()
    minas = [_run(db)]
    assert accounts.sign_out() is False
    state = _state(db)
    assert (state.user, state.signing_out, state.asks_to_sign_in) == ("mina", True, True)
    minas.append(_run(db))  # until her changes are out, runs here are still hers
    with pytest.raises(AccountError) as refused:
        accounts.sign_in(central.url, "jun", "jun-password", remember=True)
    assert refused.value.code == "other_user_waiting" and "of mina" in refused.value.detail
    assert _state(db).user == "mina"

    central.start()
    # jun signing in first finishes mina's sign-out: her runs go under her link, then hers ends.
    accounts.sign_in(central.url, "jun", "jun-password", remember=True)
    assert _mirror(central, central_db) == {op: "mina" for op in minas}
    juns = _run(db)
    sync_once(db)
    assert _mirror(central, central_db) == {**{op: "mina" for op in minas}, juns: "jun"}
    assert _enrollment(central_db) == ("jun", False)


def test_signing_in_again_as_the_same_user_ends_a_waiting_sign_out(
    central: RestartableCentral, make_db
) -> None:
    db = make_db()
    accounts = AccountLink(db)
    accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    central.stop()
    assert accounts.sign_out() is False
    central.start()
    accounts.sign_in(central.url, "mina", "mina-password", remember=True)
    state = _state(db)
    assert (state.user, state.signed_in, state.signing_out) == ("mina", True, False)
    assert sync_once(db).pushed >= 0  # the rotated token works
    with pytest.raises(AccountError) as busy:  # switching needs a sign-out first
        accounts.sign_in(central.url, "jun", "jun-password", remember=True)
    assert busy.value.code == "signed_in_as_other"


def test_a_link_not_remembered_ends_at_close_or_at_the_next_start(
    central: RestartableCentral, central_db: Engine, make_db
) -> None:
    db = make_db()
    accounts = AccountLink(db)
    accounts.sign_in(central.url, "mina", "mina-password", remember=False)
    queued = _run(db)
    accounts.end_if_not_remembered()  # the app closes
    assert accounts.settle() is True
    assert _mirror(central, central_db) == {queued: "mina"}
    assert _enrollment(central_db) == ("mina", True) and _state(db).user is None

    accounts.sign_in(central.url, "mina", "mina-password", remember=False)
    central.stop()  # the app crashes, or closes without central
    accounts.end_if_not_remembered()
    assert accounts.settle() is False
    central.start()
    started_again = AccountLink(db)  # the next start ends it
    started_again.end_if_not_remembered()
    assert started_again.settle() is True
    assert _enrollment(central_db) == ("mina", True) and _state(db).asks_to_sign_in
