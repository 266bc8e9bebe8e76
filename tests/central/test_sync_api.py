"""Central's sync API over real HTTP: enrollment, push, pull, and every refusal (4xx, a message
that says what was wrong, nothing applied)."""

from __future__ import annotations

import base64
import copy
import gzip
import json

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from central import writes
from central.admin_client import session_headers
from central.settings import CentralSettings
from engine import install, sync_state
from engine.db import MAX_KEY_BYTES as ENGINE_MAX_KEY_BYTES
from engine.db import MAX_VALUE_BYTES as ENGINE_MAX_VALUE_BYTES
from engine.migrations import SCHEMA_VERSION
from engine.operations import OperationLog
from engine.sync_state import FailureKind, SyncFailure
from replicator import link, outbox
from replicator.client import CentralClient
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from replicator.wire import MAX_BODY_BYTES, MAX_KEY_BYTES, MAX_VALUE_BYTES, MIN_BODY_BYTES, pk
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


def _mirror(engine: Engine) -> tuple:
    """Everything a refused push must leave as it was."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3")).all()
            for table in ("users", "sessions", "operations", "glossary_terms", "crr_clock")
        ) + (conn.execute(text("SELECT install_id, acked_db_version FROM enrollments")).all(),)


def _pending_push(db) -> dict:
    """The install's next push as JSON, after central's watermark."""
    with db.read() as conn:
        acked = sync_state.acked_db_version(conn)
    [request] = _requests(db, acked=acked)
    return json.loads(request.model_dump_json())


def _refused(central_url, token, central_db, body: dict, status: int, code: str) -> str:
    before = _mirror(central_db)
    response = _push(central_url, token, body)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert _mirror(central_db) == before
    return response.json()["detail"]


def _profile_edit(db) -> dict:
    """An edit of the install's own user's display name (the user row pulled from central)."""
    sync_once(db)
    with db.write() as conn:
        conn.execute("UPDATE users SET display_name = 'Mina Park' WHERE username = 'mina'")
    body = _pending_push(db)
    [change] = body["changes"]
    assert (change["table"], change["cid"], change["cl"]) == ("users", "display_name", 1)
    return body


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.update(cl=2), "may not delete users rows"),  # a cell at an even length
        (lambda c: c.update(cid="-1", val=["n"], cl=2, col_version=2), "may not delete users"),
        (lambda c: c.update(cid="-1", val=["n"], cl=3, col_version=3), "may not create users"),
        (lambda c: c.update(cl=3), "may not create users rows"),  # re-created through a cell
    ],
)
def test_installs_never_create_or_delete_users(
    enrolled, central_url, central_db, mutate, message
) -> None:
    db, token = enrolled
    honest = _profile_edit(db)
    body = copy.deepcopy(honest)
    mutate(body["changes"][0])
    detail = _refused(central_url, token, central_db, body, 403, "restricted_row")
    assert message in detail
    assert _push(central_url, token, honest).status_code == 200  # the edit itself may go


def test_runs_and_sessions_are_attributed_to_the_enrolled_user(
    enrolled, central_url, central_db
) -> None:
    db, token = enrolled
    body = _valid_push(db)
    [username] = [c for c in body["changes"] if c["cid"] == "username"]
    assert username["val"] == ["t", "mina"]
    username["val"] = ["t", "joon"]
    detail = _refused(central_url, token, central_db, body, 403, "wrong_user")
    assert "operations.username 'joon' is not this install's user 'mina'" in detail
    sync_once(db)  # the honest run goes through

    install.start_session(db, "joon")  # e.g. an app told LOCANEXT_USERNAME=joon
    detail = _refused(central_url, token, central_db, _pending_push(db), 403, "wrong_user")
    assert "sessions.username 'joon'" in detail


def test_runs_recorded_before_enrolling_become_the_enrolled_users(
    make_db, central_url, central_db
) -> None:
    _create_user(central_url)
    db = make_db()
    session = install.start_session(db, "someone-on-this-pc")
    op = OperationLog(db).start(tool="text_stats", function="count", username="someone-on-this-pc")
    link.enroll(db, central_url, "mina", "mina-password")
    sync_once(db)
    with central_db.connect() as conn:
        assert (
            conn.execute(
                text("SELECT username FROM operations WHERE id = :i"), {"i": op}
            ).scalar_one()
            == "mina"
        )
        assert (
            conn.execute(
                text("SELECT username FROM sessions WHERE id = :i"), {"i": session}
            ).scalar_one()
            == "mina"
        )


def _glossary_edit(db) -> dict:
    with db.write() as conn:
        conn.execute("INSERT INTO glossary_terms (id, source) VALUES ('t1', '검')")
    body = _pending_push(db)
    assert body["changes"][0]["cid"] == "source"
    return body


STEP = 2**32  # central.rights.MAX_CLOCK_STEP, written out: the test states the rule


@pytest.mark.parametrize(
    ("field", "value", "name"),
    [
        ("col_version", STEP + 1, "col_version"),
        ("col_version", 2**63 - 1, "col_version"),
        ("cl", STEP + 3, "causal length"),
        ("cl", 2**63 - 1, "causal length"),
    ],
)
def test_clocks_may_not_jump_past_what_an_install_could_write(
    enrolled, central_url, central_db, field, value, name
) -> None:
    db, token = enrolled
    body = _glossary_edit(db)
    body["changes"][0][field] = value
    detail = _refused(central_url, token, central_db, body, 400, "clock_out_of_range")
    assert f"{name} {value} is more than {STEP} past central's" in detail


def test_the_largest_jump_leaves_central_room_to_write(enrolled, central_url, central_db) -> None:
    db, token = enrolled
    body = _profile_edit(db)
    body["changes"][0]["col_version"] = 1 + STEP  # central holds 1: exactly the largest step
    assert _push(central_url, token, body).status_code == 200
    with central_db.begin() as conn:  # an administrator's edit still wins, one above
        writes.write_row(conn, "users", "mina", {"display_name": "Mina P."})
        stored = conn.execute(
            text(
                "SELECT col_version FROM crr_clock WHERE tbl = 'users' AND cid = 'display_name'"
                " AND pk = :pk"
            ),
            {"pk": pk.pack(["mina"])},
        ).scalar_one()
        shown = conn.execute(text("SELECT display_name FROM users WHERE username = 'mina'"))
        assert (stored, shown.scalar_one()) == (STEP + 2, "Mina P.")


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


def test_a_value_larger_than_an_install_may_write_is_refused(enrolled, central_url, central_db):
    db, token = enrolled
    body = _valid_push(db)
    index = next(i for i, c in enumerate(body["changes"]) if c["cid"] == "tool")
    body["changes"][index]["val"] = ["t", "검" * (MAX_VALUE_BYTES // 3 + 1)]
    response = _push(central_url, token, body)
    assert (response.status_code, response.json()["code"]) == (413, "value_too_large")
    assert f"change #{index} (operations, cid 'tool')" in response.json()["detail"]
    assert _mirror_counts(central_db)[0] == 0
    body["changes"][index]["val"] = ["t", "검" * (MAX_VALUE_BYTES // 3)]
    assert _push(central_url, token, body).status_code == 200
    assert ENGINE_MAX_VALUE_BYTES == MAX_VALUE_BYTES  # the engine's figure is central's
    # 'tool' is indexed: its typed mirror column holds NULL, its clock the exact value
    with central_db.connect() as conn:
        assert conn.execute(text("SELECT tool FROM operations")).all() == [(None,)]
        held = conn.execute(
            text("SELECT vbytes FROM crr_clock WHERE tbl = 'operations' AND cid = 'tool'")
        ).scalar_one()
    assert bytes(held).decode() == "검" * (MAX_VALUE_BYTES // 3)


def test_a_key_longer_than_central_indexes_is_refused(enrolled, central_url, central_db):
    db, token = enrolled
    body = _valid_push(db)
    for change in body["changes"]:
        change["pk"] = base64.b64encode(pk.pack(["k" * (MAX_KEY_BYTES + 1)])).decode()
    response = _push(central_url, token, body)
    assert response.status_code in (400, 422)
    assert "pk" in response.json()["detail"]
    assert _mirror_counts(central_db)[0] == 0
    assert ENGINE_MAX_KEY_BYTES == MAX_KEY_BYTES


def test_central_announces_its_body_limit_and_never_takes_one_too_small_for_a_change(
    enrolled, central_url
) -> None:
    _, token = enrolled
    state = httpx.get(
        f"{central_url}/api/sync/state", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert state["max_body_bytes"] == MAX_BODY_BYTES
    with pytest.raises(ValidationError, match="max_body_bytes"):
        CentralSettings(max_body_bytes=MIN_BODY_BYTES - 1)


def test_enrollment_needs_the_right_password(make_db, central_url: str) -> None:
    _create_user(central_url)
    db = make_db()
    with pytest.raises(CentralRejected, match="wrong user name or password"):
        link.enroll(db, central_url, "mina", "not-her-password")
    with db.read() as conn:
        assert conn.execute("SELECT count(*) FROM settings").fetchone()[0] == 0
