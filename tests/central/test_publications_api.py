"""Announcements and releases over real HTTP: written through the merge path, pulled by installs
like any shared change, withdrawn with a delete; bad input refused with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from replicator import link
from replicator.loop import sync_once
from tests.central.central_server import Central, serve
from tests.central.test_admin_api import snapshot


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[Central]:
    with serve(central_db, pg_dsn) as served:
        served.add_user("mina")
        yield served


@pytest.fixture
def install(central: Central, make_db):
    db = make_db()
    link.enroll(db, central.url, "mina", "mina-password")
    return db


def _rows(db, table: str, columns: str) -> list[tuple]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1")]


def test_an_announcement_is_published_edited_and_withdrawn_on_installs(
    central: Central, install
) -> None:
    with central.staff() as admin:
        created = admin.post(
            "/api/admin/announcements",
            json={
                "title": "Server move",
                "body": "Sync pauses Friday 18:00.",
                "level": "warning",
                "expires": "2031-01-01T09:00:00+09:00",
            },
        )
        assert created.status_code == 201, created.text
        item = created.json()
        assert item["level"] == "warning"
        assert datetime.fromisoformat(item["expires"]) == datetime(2031, 1, 1, tzinfo=UTC)
        key = item["id"]
        sync_once(install)
        assert _rows(install, "announcements", "id, title, level, expires") == [
            (key, "Server move", "warning", "2031-01-01T00:00:00.000Z")
        ]
        edited = admin.patch(
            f"/api/admin/announcements/{key}", json={"title": "Server moved", "expires": None}
        )
        assert edited.status_code == 200
        assert (edited.json()["title"], edited.json()["expires"]) == ("Server moved", None)
        assert edited.json()["body"] == "Sync pauses Friday 18:00."  # left out: unchanged
        assert [a["id"] for a in admin.get("/api/admin/announcements").json()] == [key]
        sync_once(install)
        assert _rows(install, "announcements", "title, expires") == [("Server moved", None)]
        assert admin.delete(f"/api/admin/announcements/{key}").status_code == 204
        again = admin.delete(f"/api/admin/announcements/{key}")
        assert (again.status_code, again.json()["code"]) == (404, "not_found")
        assert admin.get("/api/admin/announcements").json() == []
    sync_once(install)
    assert _rows(install, "announcements", "id") == []


def test_a_release_is_published_edited_and_withdrawn(central: Central, install) -> None:
    with central.staff() as admin:
        published = admin.post(
            "/api/admin/releases",
            json={"version": "2.1.0", "notes": "Faster fuzzy", "url": "https://dl.example/2.1.0"},
        )
        assert published.status_code == 201, published.text
        assert published.json()["required"] is False
        sync_once(install)
        assert _rows(install, "app_releases", "version, required, url") == [
            ("2.1.0", 0, "https://dl.example/2.1.0")
        ]
        required = admin.patch("/api/admin/releases/2.1.0", json={"required": True})
        assert required.json()["required"] is True
        sync_once(install)
        assert _rows(install, "app_releases", "required, notes") == [(1, "Faster fuzzy")]
        assert admin.delete("/api/admin/releases/2.1.0").status_code == 204
    sync_once(install)
    assert _rows(install, "app_releases", "version") == []


def test_bad_announcements_and_releases_change_nothing(central: Central) -> None:
    with central.staff() as admin:
        admin.post("/api/admin/releases", json={"version": "1.0.0"})
        before = snapshot(central.engine)
        for path, body, status, code in (
            ("/api/admin/announcements", {"title": ""}, 422, "invalid_request"),
            ("/api/admin/announcements", {"title": "t", "level": "panic"}, 422, "invalid_request"),
            (  # a time without its offset is ambiguous
                "/api/admin/announcements",
                {"title": "t", "expires": "2031-01-01T09:00:00"},
                422,
                "invalid_request",
            ),
            ("/api/admin/releases", {"version": "1.0.0"}, 409, "conflict"),
            ("/api/admin/releases", {"version": "../etc"}, 422, "invalid_request"),
            (
                "/api/admin/releases",
                {"version": "2.0", "url": "javascript:alert(1)"},
                422,
                "invalid_request",
            ),
        ):
            response = admin.post(path, json=body)
            assert (response.status_code, response.json()["code"]) == (status, code), body
        for method, path in (
            ("PATCH", "/api/admin/announcements/nope"),
            ("DELETE", "/api/admin/announcements/nope"),
            ("PATCH", "/api/admin/releases/9.9"),
            ("DELETE", "/api/admin/releases/9.9"),
        ):
            response = admin.request(method, path, json={"notes": "x"} if "rel" in path else {})
            assert (response.status_code, response.json()["code"]) == (404, "not_found"), path
        assert snapshot(central.engine) == before
    with central.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM announcements")).scalar_one() == 0
