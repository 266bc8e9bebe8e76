"""The administration API over real HTTP: staff sessions, roles, users, installs, and every
refusal (status, stable code, nothing changed)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine, text

from central.credentials import token_hash
from engine.operations import OperationLog
from replicator import link
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from replicator.wire import pk
from tests.central.central_server import Central, serve
from tests.conftest import ADMIN_PASSWORD

NO_INSTALL = "0" * 32
READS = [
    "/api/admin/me",
    "/api/admin/users",
    "/api/admin/users/mina",
    "/api/admin/conflicts",
    "/api/admin/announcements",
    "/api/admin/releases",
]
WRITES = [
    ("POST", "/api/admin/users", {"username": "newcomer", "password": "newcomer-password"}),
    ("PATCH", "/api/admin/users/mina", {"team": "FR"}),
    ("POST", "/api/admin/users/mina/disable", None),
    ("POST", "/api/admin/users/mina/enable", None),
    ("POST", "/api/admin/users/mina/password", {"password": None}),
    ("DELETE", "/api/admin/users/mina", None),
    ("POST", f"/api/admin/installs/{NO_INSTALL}/revoke", None),
    ("POST", f"/api/admin/installs/{NO_INSTALL}/restore", None),
    ("POST", f"/api/admin/installs/{NO_INSTALL}/reset", None),
    ("POST", "/api/admin/announcements", {"title": "Patch day"}),
    ("PATCH", "/api/admin/announcements/a1", {"title": "Patch day"}),
    ("DELETE", "/api/admin/announcements/a1", None),
    ("POST", "/api/admin/releases", {"version": "9.9.0"}),
    ("PATCH", "/api/admin/releases/9.9.0", {"notes": "faster"}),
    ("DELETE", "/api/admin/releases/9.9.0", None),
]


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[Central]:
    with serve(central_db, pg_dsn) as served:
        served.add_user("mina", team="KO")
        served.add_user("lee", role="lead", display_name="Lee Lead")
        yield served


def snapshot(engine: Engine) -> dict[str, list]:
    """Everything an admin write could change (sessions only by their keys)."""
    queries = {
        "users": "SELECT * FROM users ORDER BY username",
        "credentials": "SELECT username, password_hash FROM credentials ORDER BY username",
        "clocks": "SELECT tbl, pk, cid, col_version FROM crr_clock ORDER BY tbl, pk, cid",
        "enrollments": "SELECT install_id, username, token_hash, revoked, rebind_user"
        " FROM enrollments ORDER BY install_id",
        "announcements": "SELECT * FROM announcements ORDER BY id",
        "releases": "SELECT * FROM app_releases ORDER BY version",
        "sessions": "SELECT token_hash, username FROM staff_sessions ORDER BY token_hash",
    }
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(q))] for name, q in queries.items()}


def sign_in(central: Central, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{central.url}/api/admin/session", json={"username": username, "password": password}
    )


def test_a_session_is_opened_once_read_and_closed(central: Central) -> None:
    response = sign_in(central, "admin", ADMIN_PASSWORD)
    assert response.status_code == 200
    session = response.json()
    assert session["username"] == "admin" and session["role"] == "admin"
    assert session["display_name"] == "Administrator" and session["idle_timeout_s"] == 1800
    with central.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM staff_sessions")).scalars().all()
    assert stored == [token_hash(session["token"])]  # only the hash is kept
    bearer = {"Authorization": f"Bearer {session['token']}"}
    me = httpx.get(f"{central.url}/api/admin/me", headers=bearer)
    assert me.json() == {"username": "admin", "role": "admin", "display_name": "Administrator"}
    assert httpx.delete(f"{central.url}/api/admin/session", headers=bearer).status_code == 204
    after = httpx.get(f"{central.url}/api/admin/me", headers=bearer)
    assert after.status_code == 401 and after.json()["code"] == "unauthorized"


def test_sign_in_refusals_say_little_and_open_nothing(central: Central) -> None:
    with central.staff() as admin:
        admin.post("/api/admin/users", json={"username": "gone", "password": "gone-password"})
        assert admin.post("/api/admin/users/lee/disable").status_code == 200
    before = snapshot(central.engine)
    wrong = sign_in(central, "admin", "not-the-password")
    unknown = sign_in(central, "nobody", "not-the-password")
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert (
        wrong.json()
        == unknown.json()
        == {
            "code": "wrong_credentials",
            "detail": "wrong user name or password",
        }
    )
    translator = sign_in(central, "mina", "mina-password")
    assert translator.status_code == 403 and translator.json()["code"] == "not_staff"
    disabled = sign_in(central, "lee", "lee-password")
    assert disabled.status_code == 403 and disabled.json()["code"] == "account_disabled"
    assert snapshot(central.engine) == before


def test_the_session_dies_when_idle_and_every_use_renews_it(central: Central) -> None:
    with central.staff() as admin:
        for _ in range(3):  # 3 × 25 minutes: alive only because each use renewed it
            central.clock.advance(minutes=25)
            assert admin.get("/api/admin/me").status_code == 200
        central.clock.advance(minutes=30, seconds=1)
        expired = admin.get("/api/admin/me")
        assert expired.status_code == 401 and expired.json()["code"] == "unauthorized"
        assert expired.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("token", [None, "lns_forged", "lnx_an-install-token"])
def test_every_admin_route_needs_a_session(central: Central, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    before = snapshot(central.engine)
    for path in READS:
        response = httpx.get(f"{central.url}{path}", headers=headers)
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthorized"
    for method, path, body in WRITES:
        response = httpx.request(method, f"{central.url}{path}", json=body, headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "unauthorized"), path
    assert snapshot(central.engine) == before


def test_a_lead_reads_everything_and_writes_nothing(central: Central) -> None:
    with central.staff("lee", "lee-password") as lead:
        for path in READS:
            assert lead.get(path).status_code == 200, path
        assert lead.get("/api/admin/me").json()["role"] == "lead"
        before = snapshot(central.engine)
        for method, path, body in WRITES:
            response = lead.request(method, path, json=body)
            assert response.status_code == 403, (path, response.text)
            assert response.json()["code"] == "admin_only"
        after = snapshot(central.engine)
    assert after == before


def test_users_are_created_listed_edited_and_refused_clearly(central: Central) -> None:
    with central.staff() as admin:
        users = admin.get("/api/admin/users").json()
        assert [u["username"] for u in users] == ["admin", "lee", "mina"]
        assert users[2] == {
            "username": "mina",
            "display_name": "mina",
            "team": "KO",
            "language": "",
            "role": "translator",
            "active": True,
        }
        edited = admin.patch("/api/admin/users/mina", json={"team": "KO-EN", "language": "en"})
        assert edited.status_code == 200
        assert (edited.json()["team"], edited.json()["language"]) == ("KO-EN", "en")
        before = snapshot(central.engine)
        duplicate = admin.post(
            "/api/admin/users", json={"username": "mina", "password": "other-password"}
        )
        assert (duplicate.status_code, duplicate.json()["code"]) == (409, "conflict")
        for bad in (
            {"username": "x", "password": "short"},
            {"username": "no spaces", "password": "long-enough"},
            {"username": "ok", "password": "long-enough", "role": "owner"},
            {"username": "ok", "password": "long-enough", "colour": "red"},
        ):
            refused = admin.post("/api/admin/users", json=bad)
            assert (refused.status_code, refused.json()["code"]) == (422, "invalid_request"), bad
        assert admin.patch("/api/admin/users/mina", json={"role": "owner"}).status_code == 422
        for method, path, body in WRITES[1:6]:
            missing = admin.request(method, path.replace("mina", "nobody"), json=body)
            assert (missing.status_code, missing.json()["code"]) == (404, "not_found"), path
        assert admin.get("/api/admin/users/nobody").status_code == 404
        assert snapshot(central.engine) == before
    with central.engine.connect() as conn:
        clocks = dict(
            conn.execute(
                text(
                    "SELECT cid, col_version FROM crr_clock"
                    " WHERE tbl = 'users' AND pk = :pk AND cid IN ('team', 'role')"
                ),
                {"pk": pk.pack(["mina"])},
            ).all()
        )
    assert clocks == {"team": 2, "role": 1}  # the edit was a second write of team, like cr-sqlite


def test_disable_enable_and_password_reset(central: Central) -> None:
    with central.staff("lee", "lee-password") as lead, central.staff() as admin:
        disabled = admin.post("/api/admin/users/lee/disable")
        assert disabled.status_code == 200 and disabled.json()["active"] is False
        gone = lead.get("/api/admin/me")  # a disabled user's sessions end at once
        assert (gone.status_code, gone.json()["code"]) == (401, "unauthorized")
        assert admin.post("/api/admin/users/lee/enable").json()["active"] is True
        generated = admin.post("/api/admin/users/lee/password", json={"password": None})
        new_password = generated.json()["password"]
        assert generated.status_code == 200 and len(new_password) >= 12
        assert sign_in(central, "lee", "lee-password").status_code == 401
        assert sign_in(central, "lee", new_password).status_code == 200
        chosen = admin.post("/api/admin/users/lee/password", json={"password": "chosen-by-me"})
        assert chosen.json() == {"password": None}
        assert sign_in(central, "lee", "chosen-by-me").status_code == 200
        short = admin.post("/api/admin/users/lee/password", json={"password": "short"})
        assert short.status_code == 422
        assert admin.get("/api/admin/me").status_code == 200  # the admin's own session stays


def test_an_admin_cannot_disable_demote_or_delete_themselves(central: Central) -> None:
    with central.staff() as admin:
        before = snapshot(central.engine)
        for method, path, body in (
            ("POST", "/api/admin/users/admin/disable", None),
            ("PATCH", "/api/admin/users/admin", {"role": "lead"}),
            ("DELETE", "/api/admin/users/admin", None),
        ):
            response = admin.request(method, path, json=body)
            assert (response.status_code, response.json()["code"]) == (409, "conflict"), path
        assert snapshot(central.engine) == before
        renamed = admin.patch("/api/admin/users/admin", json={"display_name": "Boss"})
        assert renamed.json()["display_name"] == "Boss"


def _users_on(db) -> dict[str, tuple]:
    with db.read() as conn:
        rows = conn.execute("SELECT username, team, active FROM users")
        return {r[0]: tuple(r[1:]) for r in rows}


def test_user_writes_replicate_and_a_delete_keeps_history(
    central: Central, make_db, tmp_path
) -> None:
    central.add_user("jun")
    mina_pc, jun_pc = make_db("mina-pc"), make_db("jun-pc")
    link.enroll(mina_pc, central.url, "mina", "mina-password")
    link.enroll(jun_pc, central.url, "jun", "jun-password")
    ops = OperationLog(mina_pc)
    ops.finish(ops.start(tool="text_stats", function="count", username="mina"), status="succeeded")
    sync_once(mina_pc)
    sync_once(jun_pc)
    assert _users_on(jun_pc)["mina"] == ("KO", 1)
    with central.staff() as admin:
        admin.patch("/api/admin/users/mina", json={"team": "KO-EN"})
        sync_once(jun_pc)
        assert _users_on(jun_pc)["mina"] == ("KO-EN", 1)
        assert admin.delete("/api/admin/users/mina").status_code == 204
        assert admin.delete("/api/admin/users/mina").status_code == 404
    sync_once(jun_pc)
    assert "mina" not in _users_on(jun_pc)  # the delete replicated like cr-sqlite's
    with central.engine.connect() as conn:
        sentinel = conn.execute(
            text("SELECT cid, col_version FROM crr_clock WHERE tbl = 'users' AND pk = :pk"),
            {"pk": pk.pack(["mina"])},
        ).all()
        assert sentinel == [("-1", 2)]  # only the sentinel, causal length 2: deleted
        password = conn.execute(text("SELECT count(*) FROM credentials WHERE username = 'mina'"))
        assert password.scalar_one() == 0
        revoked = conn.execute(
            text("SELECT revoked IS NOT NULL FROM enrollments WHERE username = 'mina'")
        ).scalar_one()
        history = conn.execute(
            text("SELECT count(*) FROM operations WHERE username = 'mina'")
        ).scalar_one()
    assert revoked and history == 1
    with pytest.raises(CentralRejected) as refused:
        sync_once(mina_pc)
    assert refused.value.code == "revoked"
    central.add_user("mina", team="FR")  # re-created: a new causal length brings it back
    sync_once(jun_pc)
    assert _users_on(jun_pc)["mina"] == ("FR", 1)


def test_installs_are_revoked_restored_and_unknown_ones_refused(central: Central, make_db) -> None:
    db = make_db()
    link.enroll(db, central.url, "mina", "mina-password")
    install_id = db.site_id.hex()
    with central.staff() as admin:
        for action in ("revoke", "restore", "reset"):
            missing = admin.post(f"/api/admin/installs/{NO_INSTALL}/{action}")
            assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
        bad = admin.post("/api/admin/installs/not-hex/revoke")
        assert bad.status_code == 422
        revoked = admin.post(f"/api/admin/installs/{install_id}/revoke")
        assert revoked.json() == {
            "install_id": install_id,
            "status": "revoked",
            "username": "mina",
            "awaiting_enrollment": None,
        }
        with pytest.raises(CentralRejected) as refused:
            sync_once(db)
        assert (refused.value.status, refused.value.code) == (403, "revoked")
        restored = admin.post(f"/api/admin/installs/{install_id}/restore")
        assert restored.json()["status"] == "active"
    sync_once(db)


def test_scrypt_runs_at_sign_in_only(central: Central, monkeypatch) -> None:
    calls = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    sign_in(central, "nobody", "warm-up-the-dummy-hash")
    monkeypatch.setattr(hashlib, "scrypt", counting)
    with central.staff() as admin:
        assert len(calls) == 1
        for _ in range(10):
            assert admin.get("/api/admin/users").status_code == 200
        assert admin.patch("/api/admin/users/mina", json={"team": "X"}).status_code == 200
    assert len(calls) == 1
    sign_in(central, "nobody", "some-password")  # an unknown name costs one scrypt too
    assert len(calls) == 2
