"""Signing out over real HTTP: ``POST /api/enroll/unlink`` ends the install's token, keeps its
watermark and history, and lets any user enroll it next; a revocation still holds. Refusals
change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from engine import token_store
from engine.operations import OperationLog
from replicator import link
from replicator.client import CentralClient
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from tests.central.central_server import Central, serve
from tests.central.test_enrollment import _enroll, _enrollments, _state


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
    ops = OperationLog(db)
    ops.finish(ops.start(tool="text_stats", function="count", username="mina"), status="succeeded")
    sync_once(db)
    return db


def _token(db) -> str | None:
    return token_store.open_store(db).get()


def _unlink(central: Central, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{central.url}/api/enroll/unlink", headers=headers)


def _unlinked(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT unlinked FROM enrollments"))]


def test_signing_out_ends_the_token_and_frees_the_install(central: Central, mina_pc) -> None:
    token = _token(mina_pc)
    ((install_id, _, _, acked, *_),) = _enrollments(central.engine)
    answer = _unlink(central, token)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"install_id": install_id, "username": "mina"}
    assert _unlinked(central.engine) == [(central.clock.now,)]
    refused = _state(central, token)
    assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")
    again = _unlink(central, token)  # the token is gone: a second sign-out is refused
    assert (again.status_code, again.json()["code"]) == (401, "unauthorized")

    jun = _enroll(central, mina_pc.site_id, "jun")  # another user, no token needed
    assert jun.status_code == 200, jun.text
    ((_, username, token_hash, kept, *_),) = _enrollments(central.engine)
    assert (username, kept) == ("jun", acked) and token_hash is not None
    assert _unlinked(central.engine) == [(None,)]
    assert _state(central, jun.json()["token"]).json()["acked_db_version"] == acked
    # Bound to jun now: mina needs jun's sign-out, or an administrator's reset.
    assert _enroll(central, mina_pc.site_id, "mina").json()["code"] == "install_taken"
    with central.engine.connect() as conn:  # mina's history stays hers
        assert conn.execute(text("SELECT username FROM operations")).scalars().all() == ["mina"]


def test_the_same_user_signs_in_again_after_signing_out(central: Central, mina_pc) -> None:
    with CentralClient(central.url, _token(mina_pc)) as client:
        assert client.unlink().username == "mina"
    back = _enroll(central, mina_pc.site_id, "mina")
    assert back.status_code == 200, back.text
    assert _state(central, back.json()["token"]).status_code == 200


def test_unlinking_needs_the_installs_token(central: Central, mina_pc) -> None:
    before = _enrollments(central.engine)
    for token in (None, "lnx_forged"):
        refused = _unlink(central, token)
        assert (refused.status_code, refused.json()["code"]) == (401, "unauthorized")
    assert _enrollments(central.engine) == before and _unlinked(central.engine) == [(None,)]
    assert _state(central, _token(mina_pc)).status_code == 200


def test_an_expired_token_may_sign_out(central: Central, mina_pc) -> None:
    central.clock.advance(days=91)
    assert _state(central, _token(mina_pc)).json()["code"] == "token_expired"
    assert _unlink(central, _token(mina_pc)).status_code == 200
    assert _enroll(central, mina_pc.site_id, "jun").status_code == 200


def test_signing_out_never_lifts_a_revocation(central: Central, mina_pc) -> None:
    install_id = mina_pc.site_id.hex()
    with central.staff() as admin:
        admin.post(f"/api/admin/installs/{install_id}/revoke")
    assert _unlink(central, _token(mina_pc)).status_code == 200
    for user in ("mina", "jun"):
        refused = _enroll(central, mina_pc.site_id, user)
        assert (refused.status_code, refused.json()["code"]) == (403, "revoked")
    with pytest.raises(CentralRejected) as still:
        link.enroll(mina_pc, central.url, "jun", "jun-password")
    assert still.value.code == "revoked"
