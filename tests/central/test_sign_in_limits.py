"""Brute force and resource limits over real HTTP: rate limits and lockouts on password checks
(with Retry-After and a detail that says for how long), no scrypt for refused attempts, and a
body limit on every route, enforced before authentication."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from limits import parse
from sqlalchemy import Engine

from central.throttle import SignInPolicy, SignInThrottle
from engine.migrations import SCHEMA_VERSION
from tests.central.central_server import Central, serve
from tests.central.test_admin_api import snapshot
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def serve_with(central_db: Engine, pg_dsn: str):
    """Central with a sign-in policy of the test's choosing."""

    def start(**limits: str):
        policy = SignInPolicy(**{name: parse(value) for name, value in limits.items()})
        return serve(central_db, pg_dsn, throttle=SignInThrottle(policy))

    return start


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[Central]:
    with serve(central_db, pg_dsn) as served:
        served.add_user("mina")
        served.add_user("lee", role="lead")
        yield served


def sign_in(url: str, username: str, password: str, **kwargs) -> httpx.Response:
    return httpx.post(
        f"{url}/api/admin/session", json={"username": username, "password": password}, **kwargs
    )


def enroll(url: str, username: str, password: str) -> httpx.Response:
    body = {
        "username": username,
        "password": password,
        "site_id": base64.b64encode(b"s" * 16).decode(),
        "schema_version": SCHEMA_VERSION,
    }
    return httpx.post(f"{url}/api/enroll", json=body)


def test_a_user_name_is_locked_after_five_failures(central: Central, monkeypatch) -> None:
    for _ in range(5):
        assert sign_in(central.url, "lee", "guess").json()["code"] == "wrong_credentials"
    before = snapshot(central.engine)
    calls = []
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1))
    for attempt in (
        lambda: sign_in(central.url, "lee", "lee-password"),
        lambda: enroll(central.url, "lee", "lee-password"),
    ):
        locked = attempt()
        assert locked.status_code == 429
        assert locked.json()["code"] == "locked_out"
        assert locked.json()["detail"] == (
            "too many failed sign-ins for the user name 'lee': locked for 15 minutes"
        )
        assert 840 < int(locked.headers["Retry-After"]) <= 900
    assert calls == []  # refused before any password check
    assert snapshot(central.engine) == before
    monkeypatch.undo()
    assert sign_in(central.url, "admin", ADMIN_PASSWORD).status_code == 200  # others may


def test_failed_enrollments_lock_the_name_too(central: Central) -> None:
    for _ in range(5):
        assert enroll(central.url, "mina", "guess").json()["code"] == "wrong_credentials"
    locked = enroll(central.url, "mina", "mina-password")
    assert (locked.status_code, locked.json()["code"]) == (429, "locked_out")


def test_an_address_is_locked_after_failures_on_many_names(serve_with) -> None:
    with serve_with(failures_per_address="3/10 minutes") as central:
        for name in ("ann", "bob", "cho"):
            assert sign_in(central.url, name, "guess").status_code == 401
        locked = sign_in(central.url, "admin", ADMIN_PASSWORD)
        assert (locked.status_code, locked.json()["code"]) == (429, "locked_out")
        assert locked.json()["detail"].endswith("for this address: locked for 10 minutes")


def test_attempts_beyond_the_rate_are_refused(serve_with) -> None:
    with serve_with(attempts_per_user="3/minute") as central:
        for _ in range(3):
            assert sign_in(central.url, "admin", ADMIN_PASSWORD).status_code == 200
        limited = sign_in(central.url, "admin", ADMIN_PASSWORD)
        assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
        assert 0 < int(limited.headers["Retry-After"]) <= 60
        assert "try again in" in limited.json()["detail"]


def test_a_lockout_ends_when_its_window_has_passed(serve_with) -> None:
    with serve_with(failures_per_user="2/2 seconds") as central:
        for _ in range(2):
            sign_in(central.url, "admin", "guess")
        locked = sign_in(central.url, "admin", ADMIN_PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) <= 2
        deadline = time.monotonic() + 30
        while (response := sign_in(central.url, "admin", ADMIN_PASSWORD)).status_code == 429:
            assert time.monotonic() < deadline, "still locked long after Retry-After"
            time.sleep(0.2)
        assert response.status_code == 200


def _chunks(size: int) -> Iterator[bytes]:
    """A body without Content-Length: the limit must hold while it is read."""
    body = json.dumps({"username": "x" * size, "password": "long-enough"}).encode()
    for start in range(0, len(body), 16 * 1024):
        yield body[start : start + 16 * 1024]


@pytest.mark.parametrize(
    ("path", "authorized"),
    [
        ("/api/admin/session", False),
        ("/api/enroll", False),
        ("/api/admin/users", False),
        ("/api/admin/users", True),
        ("/api/admin/announcements", True),
    ],
)
def test_every_body_has_a_limit_before_authentication(
    central: Central, path: str, authorized: bool
) -> None:
    headers = {"Content-Type": "application/json"}
    if authorized:
        token = sign_in(central.url, "admin", ADMIN_PASSWORD).json()["token"]
        headers["Authorization"] = f"Bearer {token}"
    before = snapshot(central.engine)
    declared = httpx.post(
        f"{central.url}{path}",
        content=json.dumps({"title": "x" * 300_000}).encode(),
        headers=headers,
    )
    assert (declared.status_code, declared.json()["code"]) == (413, "payload_too_large")
    streamed = httpx.post(f"{central.url}{path}", content=_chunks(300_000), headers=headers)
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"
    assert snapshot(central.engine) == before
