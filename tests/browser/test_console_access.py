"""Who gets into the admin console, in a real browser against real central and console
processes: a session is required everywhere, wrong passwords and translators are refused in
words, repeated failures lock the name out for a stated time, sign-out ends the session, and
cross-site state changes are refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from central.admin_client import session_headers
from tests.browser.console import served_console, sign_in
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _add_user(central_url: str, username: str, role: str) -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": username, "password": f"{username}-password", "role": role},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text


def test_every_page_and_route_needs_a_session_and_wrong_passwords_are_refused(
    page: Page, tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    _add_user(central_url, "mina", "translator")
    with served_console(tmp_path, pg_dsn, central_url) as console:
        for path in ("/", "/activity?tool=xls_transfer", "/logs", "/users", "/installs"):
            page.goto(f"{console}{path}")
            expect(page.get_by_test_id("signin-submit")).to_be_visible()
        for route in ("/api/operations", "/api/events", "/export/operations.csv"):
            refused = httpx.get(f"{console}{route}")
            assert refused.status_code == 401
            assert refused.json()["code"] == "unauthorized"

        sign_in(page, console, "admin", "not-the-password", "/activity")
        expect(page.get_by_test_id("signin-error")).to_have_text("Wrong user name or password.")
        sign_in(page, console, "mina", "mina-password", "/activity")
        expect(page.get_by_test_id("signin-error")).to_contain_text("translators use the desktop")

        sign_in(page, console, "admin", ADMIN_PASSWORD, "/activity?tool=xls_transfer")
        expect(page.get_by_test_id("whoami")).to_contain_text("admin · administrator")
        assert page.url == f"{console}/activity?tool=xls_transfer"  # back where they asked to go
        cookie = next(c for c in page.context.cookies() if c["name"] == "locanext_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        page.get_by_test_id("signout").click()
        expect(page.get_by_test_id("signin-submit")).to_be_visible()
        page.goto(f"{console}/activity")
        expect(page.get_by_test_id("signin-submit")).to_be_visible()
        # the old cookie's session has ended at central too
        stale = httpx.get(
            f"{console}/api/operations", cookies={"locanext_console": cookie["value"]}
        )
        assert stale.status_code == 401


def test_repeated_failures_lock_the_name_out_for_a_stated_time(
    page: Page, tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    _add_user(central_url, "jun", "lead")
    with served_console(tmp_path, pg_dsn, central_url) as console:
        for _ in range(5):
            sign_in(page, console, "jun", "wrong-password", "/activity")
            expect(page.get_by_test_id("signin-error")).to_have_text("Wrong user name or password.")
        sign_in(page, console, "jun", "jun-password", "/activity")  # the right one, too late
        expect(page.get_by_test_id("signin-error")).to_contain_text("locked for 15 minutes")
        page.screenshot(path=str(tmp_path / "locked.png"))


def test_cross_site_requests_cannot_sign_out_or_change_anything(
    tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    with served_console(tmp_path, pg_dsn, central_url) as console:
        signed_in = httpx.post(
            f"{console}/signin", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert signed_in.status_code == 303
        cookies = dict(signed_in.cookies)
        forged = httpx.post(
            f"{console}/signout", cookies=cookies, headers={"Origin": "http://evil.example"}
        )
        assert forged.status_code == 403
        assert forged.json()["code"] == "cross_site"
        still = httpx.get(f"{console}/api/operations", cookies=cookies)
        assert still.status_code == 200
        same_site = httpx.post(f"{console}/signout", cookies=cookies, headers={"Origin": console})
        assert same_site.status_code == 303
        assert httpx.get(f"{console}/api/operations", cookies=cookies).status_code == 401
