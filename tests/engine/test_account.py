"""The install's account in engine.db (real cr-sqlite): who runs are recorded under, which runs a
user adopts when signing in, the profile's editable columns, and the notice the header shows for
each kind of refusal."""

from __future__ import annotations

import pytest

from engine import account, install, local_settings
from engine.account import BadProfile, NoProfile
from engine.operations import OperationLog
from engine.sync_state import FailureKind, SyncFailure, SyncStatus


def _link(db, user: str) -> None:
    """What replicator.link.enroll stores (the engine only reads it)."""
    with db.write() as conn:
        local_settings.put(conn, "central_url", "http://central:8700")
        local_settings.put(conn, "enrolled_user", user)


def _unlink(db) -> None:
    with db.write() as conn:
        for key in ("central_url", "enrolled_user"):
            local_settings.put(conn, key, None)
        account.signed_out(conn)


def _run(db, user: str) -> str:
    ops = OperationLog(db)
    op = ops.start(tool="text_stats", function="count", username=user)
    ops.finish(op, status="succeeded")
    return op


def _owners(db) -> dict[str, str]:
    with db.read() as conn:
        return dict(conn.execute("SELECT id, username FROM operations").fetchall())


def test_runs_of_nobody_go_to_the_next_user_and_never_another_users(make_db) -> None:
    db = make_db()
    with db.read() as conn:
        assert account.username(conn) == "" and account.state(conn).asks_to_sign_in
        assert account.username(conn, "kim") == "kim"  # a configured name, while not linked
    before = _run(db, "")
    session = install.start_session(db, "")
    _link(db, "mina")
    with db.write() as conn:
        assert account.signed_in(conn, "mina", "http://central:8700/", remember=True) == 2
    with db.read() as conn:
        assert account.username(conn) == account.username(conn, "kim") == "mina"
        assert conn.execute("SELECT username FROM sessions WHERE id = ?", (session,)).fetchone()
        assert account.state(conn).last_central_url == "http://central:8700"
    minas = _run(db, "mina")
    _unlink(db)  # mina signed out; her runs stay hers
    offline = _run(db, "")
    _link(db, "jun")
    with db.write() as conn:
        assert account.adopt_runs(conn, "jun") == 1
    assert _owners(db) == {before: "mina", minas: "mina", offline: "jun"}
    with db.write() as conn:  # signing in again changes nothing that is someone's
        assert account.adopt_runs(conn, "mina") == 0


def test_runs_recorded_under_an_earlier_default_name_are_adopted(make_db) -> None:
    db = make_db()
    older = _run(db, "root")  # before sign-in existed, runs named the OS user
    with db.write() as conn:
        account.adopt_runs(conn, "mina")
    assert _owners(db) == {older: "mina"}


def test_the_states_of_signing_in_and_out(make_db) -> None:
    db = make_db()
    with db.write() as conn:
        account.choose_offline(conn)
        offline = account.state(conn)
    assert (offline.user, offline.work_offline, offline.asks_to_sign_in) == (None, True, False)
    _link(db, "mina")
    with db.write() as conn:
        account.signed_in(conn, "mina", "http://central:8700", remember=False)
        signed = account.state(conn)
        assert (signed.signed_in, signed.remember, signed.work_offline) == (True, False, False)
        account.begin_sign_out(conn)
        leaving = account.state(conn)
    assert (leaving.user, leaving.signing_out, leaving.signed_in) == ("mina", True, False)
    assert leaving.asks_to_sign_in
    with db.read() as conn:  # until the link ends, runs are still hers
        assert account.username(conn) == "mina"
    _unlink(db)
    with db.read() as conn:
        gone = account.state(conn)
    assert (gone.user, gone.signing_out, gone.remember, gone.asks_to_sign_in) == (
        None, False, True, True,
    )  # fmt: skip


def _versions(db) -> dict[str, int]:
    with db.read() as conn:
        return dict(
            conn.execute(
                "SELECT cid, col_version FROM crsql_changes WHERE \"table\" = 'users'"
                " AND cid IN ('display_name', 'team', 'language')"
            ).fetchall()
        )


def test_the_profile_changes_only_its_three_columns_and_only_when_they_differ(make_db) -> None:
    db = make_db()
    with db.write() as conn, pytest.raises(NoProfile):
        account.save_profile(conn, "mina", team="KO-EN")
    with db.write() as conn:  # as a pull brings it: applied changes, not this site's
        conn.execute(
            "INSERT INTO users (username, display_name, team, language, role)"
            " VALUES ('mina', 'Mina', 'KO-EN', 'ko', 'lead')"
        )
    assert _versions(db) == {"display_name": 1, "team": 1, "language": 1}
    with db.write() as conn:
        changed = account.save_profile(
            conn, "mina", display_name=" 김민아 ", team="KO-EN", language="en"
        )
    assert changed == 2
    with db.read() as conn:
        mine = account.profile(conn, "mina")
    assert (mine.display_name, mine.language, mine.role) == ("김민아", "en", "lead")
    assert _versions(db) == {"display_name": 2, "team": 1, "language": 2}  # team unchanged
    for bad in ({"role": "admin"}, {"display_name": ""}, {"team": "x" * 201}):
        with db.write() as conn, pytest.raises(BadProfile):
            account.save_profile(conn, "mina", **bad)
    with db.read() as conn:
        assert account.profile(conn, "mina") == mine


def _status(kind: FailureKind | None, code: str | None = None) -> SyncStatus:
    failure = SyncFailure(kind, "what central said", code) if kind else None
    return SyncStatus(True, "http://central:8700", True, 3, 7, 2, None, None, failure)


SIGNED_IN = account.AccountState("mina", "http://central:8700", True, False, False, None)


@pytest.mark.parametrize(
    ("kind", "code", "title", "target"),
    [
        (FailureKind.REVOKED, "revoked", "Link revoked", "/signin"),
        (FailureKind.ACCOUNT_DISABLED, "account_disabled", "Account disabled", "/account"),
        (FailureKind.UNAUTHORIZED, "token_expired", "Sign-in expired", "/signin"),
        (FailureKind.UNAUTHORIZED, "unauthorized", "Signed out by central", "/signin"),
        (FailureKind.UPDATE_REQUIRED, "update_required", "Update required", "/account"),
        (FailureKind.REFUSED, "wrong_user", "Sync refused", "/sync-log"),
        (FailureKind.BAD_PULL, None, "Sync error", "/sync-log"),
        (FailureKind.COPIED_DATABASE, "copied_database", "Copied database", "/account"),
    ],
)
def test_each_refusal_has_a_notice_with_a_way_forward(kind, code, title, target) -> None:
    notice = account.notice(SIGNED_IN, _status(kind, code))
    assert (notice.title, notice.target) == (title, target)
    assert "sync waits" in notice.message and notice.action


def test_every_kind_of_failure_is_quiet_or_has_a_notice() -> None:
    for kind in FailureKind:
        notice = account.notice(SIGNED_IN, _status(kind, "x"))
        assert (notice is None) == kind.offline, kind


def test_no_notice_when_all_is_well_or_nobody_is_signed_in() -> None:
    assert account.notice(SIGNED_IN, _status(None)) is None
    nobody = account.AccountState(None, None, True, False, False, None)
    assert account.notice(nobody, _status(FailureKind.REVOKED, "revoked")) is None
