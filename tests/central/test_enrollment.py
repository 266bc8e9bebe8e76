"""Install identities over real HTTP: an install id is bound to its first enrollment, tokens are
renewed (committed) and rotated, revocations stick, a disabled user's installs stop syncing.
Each refusal: status, stable code, and nothing changed."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from engine import sync_state, token_store
from engine.migrations import SCHEMA_VERSION
from engine.operations import OperationLog
from engine.sync_state import FailureKind
from replicator import link
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from replicator.wire import MACHINE_HEADER
from tests.central.central_server import Central, serve


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[Central]:
    with serve(central_db, pg_dsn) as served:
        served.add_user("mina")
        served.add_user("jun")
        yield served


@pytest.fixture
def mina_pc(central: Central, make_db):
    db = make_db("mina-pc")
    link.enroll(db, central.url, "mina", "mina-password")
    return db


def _enroll(central: Central, site_id: bytes, user: str, token: str | None = None):
    body = {
        "username": user,
        "password": f"{user}-password",
        "site_id": base64.b64encode(site_id).decode(),
        "schema_version": SCHEMA_VERSION,
    }
    if token is not None:
        body["token"] = token
    return httpx.post(f"{central.url}/api/enroll", json=body)


def _enrollments(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT install_id, username, token_hash, acked_db_version, expires, revoked,"
                    " rebind_user FROM enrollments ORDER BY install_id"
                )
            )
        ]


def _token(db) -> str | None:
    return token_store.open_store(db).get()


def _work(db) -> None:
    ops = OperationLog(db)
    ops.finish(ops.start(tool="text_stats", function="count", username="mina"), status="succeeded")


def _state(central: Central, token: str) -> httpx.Response:
    return httpx.get(f"{central.url}/api/sync/state", headers={"Authorization": f"Bearer {token}"})


def _pull(central: Central, token: str, machine: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if machine is not None:
        headers[MACHINE_HEADER] = machine
    return httpx.get(f"{central.url}/api/sync/pull", params={"since": 0}, headers=headers)


def test_another_user_cannot_take_over_an_install(central: Central, mina_pc) -> None:
    _work(mina_pc)
    sync_once(mina_pc)
    before = _enrollments(central.engine)
    taken = _enroll(central, mina_pc.site_id, "jun")
    assert (taken.status_code, taken.json()["code"]) == (403, "install_taken")
    with_token = _enroll(central, mina_pc.site_id, "jun", token=_token(mina_pc))
    assert (with_token.status_code, with_token.json()["code"]) == (403, "install_taken")
    assert _enrollments(central.engine) == before
    assert _state(central, _token(mina_pc)).status_code == 200  # mina still syncs


def test_enrolling_again_needs_the_current_token_which_is_rotated(
    central: Central, mina_pc
) -> None:
    _work(mina_pc)
    sync_once(mina_pc)
    before = _enrollments(central.engine)
    without = _enroll(central, mina_pc.site_id, "mina")
    assert (without.status_code, without.json()["code"]) == (403, "already_enrolled")
    forged = _enroll(central, mina_pc.site_id, "mina", token="lnx_forged")
    assert (forged.status_code, forged.json()["code"]) == (403, "already_enrolled")
    assert _enrollments(central.engine) == before
    old = _token(mina_pc)
    link.enroll(mina_pc, central.url, "mina", "mina-password")  # sends its current token
    new = _token(mina_pc)
    assert new != old
    assert _state(central, old).status_code == 401
    assert _state(central, new).json()["acked_db_version"] == before[0][3]  # watermark kept


def test_enrolling_never_clears_a_revocation(central: Central, mina_pc) -> None:
    with central.staff() as admin:
        admin.post(f"/api/admin/installs/{mina_pc.site_id.hex()}/revoke")
    before = _enrollments(central.engine)
    with pytest.raises(CentralRejected) as refused:
        link.enroll(mina_pc, central.url, "mina", "mina-password")
    assert (refused.value.status, refused.value.code) == (403, "revoked")
    assert _enrollments(central.engine) == before


def test_an_administrators_reset_lets_the_install_enroll_without_its_token(
    central: Central, mina_pc, make_db
) -> None:
    old = _token(mina_pc)
    install_id = mina_pc.site_id.hex()
    with central.staff() as admin:
        reset = admin.post(f"/api/admin/installs/{install_id}/reset")
        assert reset.json()["awaiting_enrollment"] == "mina"
    assert _state(central, old).status_code == 401  # the old token ends with the reset
    taken = _enroll(central, mina_pc.site_id, "jun")
    assert taken.json()["code"] == "install_taken"
    fresh = _enroll(central, mina_pc.site_id, "mina")  # e.g. its settings were lost
    assert fresh.status_code == 200, fresh.text
    assert _state(central, fresh.json()["token"]).status_code == 200
    again = _enroll(central, mina_pc.site_id, "mina")  # the reset is used up
    assert again.json()["code"] == "already_enrolled"
    with central.staff() as admin:  # handing the install over to another user
        admin.post(f"/api/admin/installs/{install_id}/reset", json={"username": "jun"})
        unknown = admin.post(f"/api/admin/installs/{install_id}/reset", json={"username": "x"})
        assert unknown.status_code == 404
    assert _enroll(central, mina_pc.site_id, "mina").json()["code"] == "install_taken"
    handed = _enroll(central, mina_pc.site_id, "jun")
    assert handed.status_code == 200 and handed.json()["username"] == "jun"


def test_token_renewal_is_committed(central: Central, mina_pc) -> None:
    token = _token(mina_pc)
    for _ in range(4):  # 4 × 60 days, each day of use renewing 90 days
        central.clock.advance(days=60)
        assert _state(central, token).status_code == 200
    central.clock.advance(days=90, seconds=1)
    expired = _state(central, token)
    assert (expired.status_code, expired.json()["code"]) == (401, "token_expired")
    link.enroll(mina_pc, central.url, "mina", "mina-password")  # the expired token still proves it
    assert _state(central, _token(mina_pc)).status_code == 200


def test_pulls_renew_the_token_too(central: Central, mina_pc) -> None:
    token = _token(mina_pc)
    for _ in range(4):
        central.clock.advance(days=60)
        assert _pull(central, token).status_code == 200
    assert _state(central, token).status_code == 200


def test_a_pull_binds_an_enrollment_made_before_nonces_to_its_machine(
    central: Central, mina_pc
) -> None:
    token = _token(mina_pc)
    with central.engine.begin() as conn:
        conn.execute(text("UPDATE enrollments SET machine = NULL"))
    assert _pull(central, token, machine="a" * 32).status_code == 200
    copy = _pull(central, token, machine="b" * 32)
    assert (copy.status_code, copy.json()["code"]) == (409, "copied_database")
    assert _pull(central, token, machine="a" * 32).status_code == 200


def test_a_disabled_users_installs_are_refused_until_enabled(central: Central, mina_pc) -> None:
    _work(mina_pc)
    sync_once(mina_pc)
    _work(mina_pc)
    token = _token(mina_pc)
    with central.staff() as admin:
        admin.post("/api/admin/users/mina/disable")
    before = _enrollments(central.engine)
    with central.engine.connect() as conn:
        operations = conn.execute(text("SELECT count(*) FROM operations")).scalar_one()
    headers = {"Authorization": f"Bearer {token}"}
    for method, path in (
        ("GET", "/api/sync/state"),
        ("GET", "/api/sync/pull"),
        ("POST", "/api/sync/push"),
    ):
        response = httpx.request(method, f"{central.url}{path}", headers=headers, json={})
        assert (response.status_code, response.json()["code"]) == (403, "account_disabled")
    with pytest.raises(CentralRejected) as refused:
        sync_once(mina_pc)
    assert refused.value.code == "account_disabled"
    with mina_pc.read() as conn:  # the app's badge reads the kind, not the wording
        assert sync_state.status(conn).last_failure.kind is FailureKind.ACCOUNT_DISABLED
    assert _enrollments(central.engine) == before
    with central.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM operations")).scalar_one() == operations
        refusal = conn.execute(
            text("SELECT last_refusal_code, last_refusal_at FROM enrollments")
        ).one()
    assert refusal == ("account_disabled", central.clock.now)
    disabled_enroll = _enroll(central, mina_pc.site_id, "mina", token=token)
    assert disabled_enroll.json()["code"] == "account_disabled"
    with central.staff() as admin:
        admin.post("/api/admin/users/mina/enable")
    assert sync_once(mina_pc).pushed > 0
    with central.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM operations")).scalar_one() == operations + 1
