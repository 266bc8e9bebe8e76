"""Central's sync API over real HTTP: enrollment, push, pull, and every refusal (4xx, a message
that says what was wrong, nothing applied)."""

from __future__ import annotations

import base64
import gzip
import json

import httpx
import pytest
from sqlalchemy import Engine, text

from central.admin_client import session_headers
from engine import sync_state
from engine.migrations import SCHEMA_VERSION
from engine.operations import OperationLog
from engine.sync_state import FailureKind, SyncFailure
from replicator import link, outbox
from replicator.client import CentralClient
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from replicator.wire import pk
from tests.conftest import ADMIN_PASSWORD


def _create_user(central_url: str, username: str = "mina", password: str = "mina-password") -> None:
    response = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": username, "password": password},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def enrolled(make_db, central_url: str):
    """An install enrolled as mina; returns (db, token)."""
    _create_user(central_url)
    db = make_db()
    response = link.enroll(db, central_url, "mina", "mina-password")
    return db, response.token


def _mirror_counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM operations")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM crr_clock")).scalar_one(),
        )


def _push(central_url: str, token: str, body: dict | bytes, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{central_url}/api/sync/push",
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )


def _requests(db, acked=0, partial=None, target: int = 2000, limit: int = 5000) -> list:
    """What the replicator would push now, after ``acked`` (and ``partial``)."""

    def describe(version: int) -> tuple[int, int]:
        with db.read() as conn:
            return outbox.version_size(conn, version)

    with db.snapshot() as conn:
        return list(
            outbox.pushes(
                conn,
                describe,
                db.site_id,
                SCHEMA_VERSION,
                acked,
                partial,
                target=target,
                limit=limit,
            )
        )


def _valid_push(db) -> dict:
    OperationLog(db).start(tool="text_stats", function="count", username="mina")
    [request] = _requests(db)
    return json.loads(request.model_dump_json())


def test_sync_once_pushes_operations_and_pulls_users(enrolled, central_db: Engine) -> None:
    db, _ = enrolled
    ops = OperationLog(db)
    op = ops.start(tool="text_stats", function="count", username="mina")
    ops.finish(op, status="succeeded", rows_in=10, rows_out=1)
    report = sync_once(db)
    assert report.pushed > 0
    with central_db.connect() as conn:
        row = conn.execute(
            text("SELECT status, rows_in FROM operations WHERE id = :i"), {"i": op}
        ).one()
    assert tuple(row) == ("succeeded", 10)
    with db.read() as conn:
        users = {r[0]: r[1] for r in conn.execute("SELECT username, role FROM users")}
        pending = conn.execute(
            "SELECT count(*) FROM crsql_changes WHERE site_id = crsql_site_id() AND db_version >"
            " (SELECT acked_db_version FROM sync_state)"
        ).fetchone()[0]
    assert users == {"admin": "admin", "mina": "translator"}
    assert pending == 0
    again = sync_once(db)  # nothing new either way
    assert (again.pushed, again.pulled) == (0, 0)


def test_a_valid_push_over_http_is_applied_once(enrolled, central_url, central_db) -> None:
    db, token = enrolled
    body = _valid_push(db)
    first = _push(
        central_url, token, gzip.compress(json.dumps(body).encode()), **{"Content-Encoding": "gzip"}
    )
    assert first.status_code == 200, first.text
    counts = _mirror_counts(central_db)
    second = _push(central_url, token, body)
    assert second.status_code == 200
    assert second.json()["applied"] == 0
    assert _mirror_counts(central_db) == counts


@pytest.mark.parametrize(
    ("mutate", "status", "message"),
    [
        (lambda c: c.update(table="no_such_table"), 400, "unknown table 'no_such_table'"),
        (
            lambda c: c.update(pk=base64.b64encode(b"\x01\x0b").decode()),
            400,
            "malformed primary key",
        ),
        (lambda c: c.update(pk=base64.b64encode(pk.pack([5])).decode()), 400, "one TEXT value"),
        (
            lambda c: c.update(site_id=base64.b64encode(b"x" * 16).decode()),
            403,
            "not this install's",
        ),
        (lambda c: c.update(site_id=None), 400, "site_id"),
        (lambda c: c.update(table="users", cid="role"), 403, "may not write users.role"),
        (lambda c: c.update(table="announcements"), 403, "may not write 'announcements'"),
        (lambda c: c.update(table="users", cid="team"), 403, "its own user's profile"),
        (lambda c: c.update(val=["b", "!!"]), 400, "malformed changeset"),
    ],
)
def test_bad_changesets_are_refused_whole(
    enrolled, central_url, central_db, mutate, status, message
):
    db, token = enrolled
    body = _valid_push(db)
    mutate(body["changes"][-1])  # the good changes before it must not be applied either
    before = _mirror_counts(central_db)
    response = _push(central_url, token, body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert _mirror_counts(central_db) == before


def test_bad_tokens_and_revoked_installs_are_refused(enrolled, central_url, central_db) -> None:
    db, token = enrolled
    body = _valid_push(db)
    for bad in ("lnx_forged", token[:-1]):
        response = _push(central_url, bad, body)
        assert response.status_code == 401
        assert "unknown install token" in response.json()["detail"]
    anonymous = httpx.post(f"{central_url}/api/sync/push", json=body)
    assert anonymous.status_code == 401
    assert _mirror_counts(central_db)[0] == 0
    with CentralClient(central_url, "lnx_forged") as forged, pytest.raises(CentralRejected):
        sync_once(db, forged)
    with db.read() as conn:
        failure = sync_state.status(conn).last_failure
    assert (failure.kind, failure.code) == (FailureKind.UNAUTHORIZED, "unauthorized")
    install_id = db.site_id.hex()
    revoked = httpx.post(
        f"{central_url}/api/admin/installs/{install_id}/revoke",
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert revoked.status_code == 200
    response = _push(central_url, token, body)
    assert response.status_code == 403
    assert response.json()["code"] == "revoked"
    assert "revoked" in response.json()["detail"]
    with pytest.raises(CentralRejected, match="revoked"):
        sync_once(db)
    with db.read() as conn:
        failure = sync_state.status(conn).last_failure
    assert failure == SyncFailure(FailureKind.REVOKED, response.json()["detail"], "revoked")


def test_oversized_bodies_are_refused(enrolled, central_url, central_db) -> None:
    db, token = enrolled
    huge = b'{"site_id": "' + b"A" * (17 * 1024 * 1024) + b'"}'
    response = _push(central_url, token, huge)
    assert response.status_code == 413
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))  # small on the wire, huge inflated
    response = _push(central_url, token, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert "decompressed" in response.json()["detail"]
    assert _mirror_counts(central_db)[0] == 0


def test_enrollment_needs_the_right_password(make_db, central_url: str) -> None:
    _create_user(central_url)
    db = make_db()
    with pytest.raises(CentralRejected, match="wrong user name or password"):
        link.enroll(db, central_url, "mina", "not-her-password")
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
