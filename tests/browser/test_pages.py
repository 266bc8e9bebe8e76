"""The pages people look at, in a real browser: the desktop app's home page and its sync badge,
served by its own process (the admin console's pages: test_console_*.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from central.admin_client import session_headers
from central.api.app import create_app
from central.settings import CentralSettings
from engine.migrations import SCHEMA_VERSION
from engine.server import BackgroundServer
from shell.processes import Child
from shell.processes import run as locanext
from tests import engine_api
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _serve_app(tmp_path: Path) -> tuple[Child, str]:
    args = ["app", "--headless", "--no-sync", "--data-dir", str(tmp_path / "app")]
    child = Child("app", args, tmp_path / "app.log")
    return child, child.app_url()


def test_app_home_shows_recent_operations_and_sync_state(page: Page, tmp_path: Path) -> None:
    sample = tmp_path / "ui_ko.txt"
    sample.write_text("시작하기\n설정\n", encoding="utf-8")
    child, url = _serve_app(tmp_path)
    try:
        run = engine_api.post(
            tmp_path / "app", f"{url}/api/tools/text_stats/run", json={"inputs": [str(sample)]}
        )
        assert run.json()["status"] == "succeeded"
        page.goto(child.launch_url())  # the one-time link sets the key's cookie; a first start
        page.get_by_test_id("signin-offline").click()  # asks to sign in: this one works offline
        table = page.get_by_test_id("operations")
        expect(table).to_contain_text("text_stats")
        expect(table).to_contain_text("succeeded")
        expect(page.get_by_test_id("sync-status")).to_have_text("Not enrolled")
        page.screenshot(path=str(tmp_path / "app.png"))
    finally:
        assert child.stop() == 0


def test_app_badge_says_which_kind_of_failure_sync_saw(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str, monkeypatch
) -> None:
    """A real central over HTTP answers 426, then 401, then nothing at all; the badge and
    GET /api/sync name each kind (recorded as data by the app's own sync loop)."""
    central = BackgroundServer(create_app(CentralSettings(dsn=pg_dsn), central_db))
    central_url = central.start()
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201
    sample = tmp_path / "ui_ko.txt"
    sample.write_text("시작하기\n", encoding="utf-8")
    data = tmp_path / "app"
    child = Child(
        "app",
        ["app", "--headless", "--data-dir", str(data)],
        tmp_path / "app.log",
        {"LOCANEXT_APP_SYNC_INTERVAL": "0.3"},
    )
    try:
        url = child.app_url()
        enroll = ["enroll", "--central", central_url, "--user", "mina", "--password-stdin"]
        enrolled = locanext(*enroll, "--data-dir", str(data), stdin="mina-password\n")
        assert enrolled.returncode == 0, enrolled.stderr
        page.goto(child.launch_url())
        badge = page.get_by_test_id("sync-status")
        expect(badge).to_contain_text("Online · 0 changes waiting", timeout=30_000)

        def failure() -> dict | None:
            return engine_api.get(data, f"{url}/api/sync").json()["last_failure"]

        with monkeypatch.context() as too_old:  # central now serves only newer installs
            too_old.setattr(
                "central.schema_policy.SCHEMA_VERSIONS",
                range(SCHEMA_VERSION + 1, SCHEMA_VERSION + 3),
            )
            run = engine_api.post(
                data, f"{url}/api/tools/text_stats/run", json={"inputs": [str(sample)]}
            )
            assert run.json()["status"] == "succeeded"
            expect(badge).to_contain_text("Sync paused: Update required · ", timeout=30_000)
            expect(badge).to_contain_text("Update LocaNext")
            assert failure()["kind"] == "update_required"
            assert failure()["code"] == "update_required"
        # Sync waits for the user (no retries in a loop); "Sync now" is the user acting.
        assert engine_api.post(data, f"{url}/api/sync/now").status_code == 200
        expect(badge).to_contain_text("Online · 0 changes waiting", timeout=30_000)

        with central_db.begin() as conn:  # the token expires
            conn.execute(text("UPDATE enrollments SET expires = now() - interval '1 day'"))
        expect(badge).to_contain_text("Sync paused: Unauthorized · ", timeout=30_000)
        expect(badge).to_contain_text("has expired; enroll again")
        assert (failure()["kind"], failure()["code"]) == ("unauthorized", "token_expired")

        central.stop()
        assert engine_api.post(data, f"{url}/api/sync/now").status_code == 200
        expect(badge).to_contain_text("Offline · ", timeout=30_000)
        assert failure()["kind"] == "unreachable"
        assert engine_api.get(data, f"{url}/api/sync").json()["online"] is False
        page.screenshot(path=str(tmp_path / "offline.png"))
    finally:
        central.stop()
        assert child.stop() == 0
