"""What administrators do in the console reaches real installs, through central: a user disabled
on the Users page is refused at their install's next sync and its badge says so; an announcement
published on its page lands in the install's engine.db; a lead reads the pages but has no way to
change anything, and central refuses a lead's write anyway."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from pysqlite3 import dbapi2 as sqlite3

from central.admin_client import session_headers
from shell.processes import run as locanext
from tests.browser.apps import open_page, served_app
from tests.browser.console import ready, served_console, sign_in
from tests.conftest import ADMIN_PASSWORD
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
SYNCED = 30_000  # ms: the app syncs every 0.3 s


def _add_user(central_url: str, username: str, role: str = "translator") -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": username, "password": f"{username}-password", "role": role},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text


def _titles(engine_db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{engine_db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT title FROM announcements ORDER BY title")]
    finally:
        conn.close()


def test_disabling_a_user_and_publishing_reach_the_install(
    page: Page, browser: Browser, tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    _add_user(central_url, "mina")
    env = {"LOCANEXT_APP_SYNC_INTERVAL": "0.3"}
    with served_app(tmp_path, sync=True, env=env) as (app_url, data):
        enrolled = locanext(
            "enroll", "--central", central_url, "--user", "mina", "--password-stdin",
            "--data-dir", str(data), stdin="mina-password\n",
        )  # fmt: skip
        assert enrolled.returncode == 0, enrolled.stderr
        open_page(page, app_url)
        badge = page.get_by_test_id("sync-status")
        expect(badge).to_contain_text("Online", timeout=SYNCED)

        console_page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        with served_console(tmp_path, pg_dsn, central_url) as console:
            sign_in(console_page, console, "admin", ADMIN_PASSWORD, "/announcements")
            ready(console_page)
            console_page.get_by_test_id("field-title").fill("서버 점검 안내")
            console_page.get_by_test_id("field-body").fill("Maintenance tonight, 22:00 KST.")
            console_page.get_by_test_id("publish").click()
            expect(console_page.get_by_text("서버 점검 안내")).to_be_visible()
            wait_for(
                lambda: _titles(data / "engine.db"),
                timeout=30,
                what="the announcement in the install's engine.db",
                until=lambda titles: titles == ["서버 점검 안내"],
            )

            def pulled() -> str:  # the install's pull after the one that brought it says so
                console_page.reload()
                return console_page.get_by_test_id("pulled-by").inner_text()

            wait_for(
                pulled, timeout=30, what="the pulled-by count", until="pulled by 1 install".__eq__
            )

            console_page.goto(f"{console}/users")
            ready(console_page)
            expect(console_page.get_by_test_id("state-mina")).to_have_text("active")
            console_page.get_by_test_id("toggle-mina").click()
            expect(console_page.get_by_test_id("state-mina")).to_have_text("disabled")
            console_page.screenshot(path=str(tmp_path / "users.png"))
            expect(badge).to_contain_text("Account disabled", timeout=SYNCED)

            console_page.goto(f"{console}/installs")
            expect(console_page.get_by_text("account_disabled at")).to_be_visible()
            console_page.context.close()


def test_a_lead_reads_every_page_and_can_change_nothing(
    page: Page, tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    _add_user(central_url, "jun", "lead")
    _add_user(central_url, "mina")
    with served_console(tmp_path, pg_dsn, central_url) as console:
        sign_in(page, console, "jun", "jun-password", "/users")
        expect(page.get_by_test_id("whoami")).to_contain_text("lead · read only")
        expect(page.get_by_test_id("read-only")).to_be_visible()
        expect(page.get_by_test_id("user-mina")).to_be_visible()
        for hidden in ("create-user", "toggle-mina", "delete-mina", "reset-mina"):
            expect(page.get_by_test_id(hidden)).to_be_hidden()
        for path in ("/announcements", "/releases"):
            page.goto(f"{console}{path}")
            expect(page.get_by_test_id("read-only")).to_be_visible()
            expect(page.get_by_test_id("compose")).to_have_count(0)
            expect(page.get_by_test_id("compose-release")).to_have_count(0)
        for path in ("/", "/activity", "/logs", "/installs", "/conflicts"):
            page.goto(f"{console}{path}")
            expect(page.get_by_test_id("whoami")).to_be_visible()
            expect(page.get_by_test_id("problem")).to_have_count(0)
        # the session the console holds for the lead cannot write at central either
        lead = session_headers(central_url, "jun", "jun-password")
        refused = httpx.post(f"{central_url}/api/admin/users/mina/disable", headers=lead)
        assert refused.status_code == 403
        assert refused.json()["code"] == "admin_only"
