"""Sync that doesn't hammer central: outages back off exponentially with jitter up to minutes;
refusals that need a person park sync until the user acts; the same refusal round after round
is called stuck, with why and what to do."""

from __future__ import annotations

import random

import httpx

from central.admin_client import session_headers
from engine import account, sync_state
from engine.operations import OperationLog
from engine.sync_state import STUCK_ROUNDS, FailureKind
from engine.ui.layout import sync_text
from replicator import link
from replicator.backoff import MAX_DELAY, retry_delay
from replicator.errors import CentralRejected
from replicator.loop import Syncer, sync_once
from shell.processes import Child
from shell.processes import run as locanext
from tests.conftest import ADMIN_PASSWORD
from tests.waiting import wait_for


def test_delays_double_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, rng) for n in range(1, 30)]
    for n, delay in enumerate(delays, start=1):
        base = min(MAX_DELAY, 0.1 * 2 ** (n - 1))
        assert base / 2 <= delay <= base, (n, delay)
    assert delays[0] <= 0.1 and max(delays) <= MAX_DELAY == 300.0
    assert delays[-1] >= MAX_DELAY / 2  # a long outage costs a request every few minutes
    # Installs cut off by the same outage do not come back in step.
    other = [retry_delay(n, random.Random(8)) for n in range(1, 30)]
    assert other != delays
    assert retry_delay(10**6, rng) <= MAX_DELAY  # no overflow however long it lasts


def _user(central_url: str, name: str) -> None:
    response = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": name, "password": f"{name}-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert response.status_code == 201, response.text


def _rounds(db) -> list[tuple[int, str | None]]:
    with db.read() as conn:
        return [(r.rounds, r.error_kind) for r in sync_state.sync_log(conn)]


def test_a_revoked_install_parks_sync_until_the_user_acts(make_db, central_url: str) -> None:
    _user(central_url, "mina")
    db = make_db()
    link.enroll(db, central_url, "mina", "mina-password")
    revoked = httpx.post(
        f"{central_url}/api/admin/installs/{db.install_id}/revoke",
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert revoked.status_code == 200
    syncer = Syncer(db, interval=0.05)
    syncer.start()
    try:
        wait_for(lambda: syncer.parked, timeout=30, what="sync parked after the refusal")
        assert _rounds(db) == [(1, "revoked")]
        # Local work goes on and nudges the loop; the loop turns, but asks central nothing.
        for _ in range(5):
            OperationLog(db).start(tool="text_stats", function="count", username="mina")
        turned = syncer.turns
        wait_for(lambda: syncer.turns, until=lambda t: t >= turned + 10, timeout=30, what="turns")
        assert _rounds(db) == [(1, "revoked")]
        with db.read() as conn:
            status = sync_state.status(conn)
        assert status.parked and not status.stuck and status.pending_changes > 0
        assert sync_text(status)[0].startswith("Sync paused: Revoked · ")
        # The user's "Sync now" is one more round, and sync waits again.
        syncer.resume()
        wait_for(lambda: _rounds(db), until=lambda r: r[0][0] == 2, timeout=30, what="2nd round")
        turned = syncer.turns
        wait_for(lambda: syncer.turns, until=lambda t: t >= turned + 10, timeout=30, what="turns")
        assert _rounds(db) == [(2, "revoked")] and syncer.parked
    finally:
        syncer.stop()


def test_the_same_refusal_round_after_round_is_stuck(make_db, central_url: str) -> None:
    _user(central_url, "mina")
    db = make_db()
    link.enroll(db, central_url, "mina", "mina-password")
    # A run recorded under another user's name: central refuses every push that carries it.
    OperationLog(db).start(tool="text_stats", function="count", username="jun")
    for round_ in range(1, STUCK_ROUNDS + 1):
        with db.read() as conn:
            assert not sync_state.status(conn).stuck
        try:
            sync_once(db)
        except CentralRejected as exc:
            assert exc.code == "wrong_user", round_
    with db.read() as conn:
        status = sync_state.status(conn)
        state = account.state(conn)
    assert status.last_failure.kind is FailureKind.REFUSED
    assert (status.repeated, status.stuck, status.parked) == (STUCK_ROUNDS, True, False)
    text, color = sync_text(status)
    assert text.startswith(f"Sync stuck: Refused (wrong_user), {STUCK_ROUNDS} rounds in a row")
    assert color == "negative"
    notice = account.notice(state, status)
    assert notice.title == "Sync stuck" and notice.target == "/sync-log"
    assert "keeps working" in notice.message and "administrator" in notice.message
    assert status.as_dict()["stuck"] is True
    # `locanext sync` says the same: why, and what to do.
    db.close()
    cli = locanext("sync", "--once", "--data-dir", str(db.path.parent))
    assert cli.returncode == 1
    same_way = f"Sync stuck: Central refused this PC's changes the same way {STUCK_ROUNDS + 1}"
    assert same_way in cli.stderr
    assert "Send the sync log to your administrator" in cli.stderr


def test_a_parked_loop_probes_central_now_and_then(make_db, central_url: str) -> None:
    """An administrator may lift the refusal: a parked loop still asks central, rarely."""
    _user(central_url, "mina")
    db = make_db()
    link.enroll(db, central_url, "mina", "mina-password")
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    url = f"{central_url}/api/admin/users/mina"
    assert httpx.post(f"{url}/disable", headers=admin).status_code == 200
    syncer = Syncer(db, interval=0.05, parked_probe=1.0)
    syncer.start()
    try:
        wait_for(lambda: _rounds(db), until=lambda r: r[:1] == [(2, "account_disabled")],
                 timeout=30, what="a probe while parked")  # fmt: skip
        assert httpx.post(f"{url}/enable", headers=admin).status_code == 200
        wait_for(lambda: _rounds(db)[0][1], until=lambda kind: kind is None, timeout=30,
                 what="sync working again after the next probe")  # fmt: skip
        with db.read() as conn:
            assert sync_state.status(conn).last_failure is None
        assert not syncer.parked
    finally:
        syncer.stop()


def test_locanext_sync_says_when_sync_waits_and_when_it_works_again(
    make_db, central_url: str, tmp_path
) -> None:
    _user(central_url, "mina")
    db = make_db()
    link.enroll(db, central_url, "mina", "mina-password")
    db.close()
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    installs = f"{central_url}/api/admin/installs/{db.install_id}"
    assert httpx.post(f"{installs}/revoke", headers=admin).status_code == 200
    syncing = Child(
        "sync",
        ["sync", "--interval", "0.2", "--data-dir", str(db.path.parent)],
        tmp_path / "sync.log",
    )
    try:
        line = syncing.wait_line("Link revoked: ")
        assert "ask an administrator to restore it, then sign in again" in line
        assert httpx.post(f"{installs}/restore", headers=admin).status_code == 200
        # The user acts: signing in again (here `locanext enroll`) changes the link.
        enrolled = locanext(
            "enroll", "--central", central_url, "--user", "mina", "--password-stdin", "--force",
            "--data-dir", str(db.path.parent), stdin="mina-password\n",
        )  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        syncing.wait_line("sync works again")
    finally:
        assert syncing.stop() == 0, syncing.tail()
