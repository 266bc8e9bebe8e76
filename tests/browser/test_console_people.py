"""An administrator manages accounts and releases on the console's pages, and central holds the
result: a user created in the dialog, given a new password (shown once, and it works), edited and
deleted; a release published as required and withdrawn; central's refusal shown in words."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from central.admin_client import session_headers
from tests.browser.console import ready, served_console, sign_in
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_users_and_releases_are_managed_through_central(
    page: Page, tmp_path: Path, pg_dsn: str, central_url: str
) -> None:
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    with served_console(tmp_path, pg_dsn, central_url) as console:
        sign_in(page, console, "admin", ADMIN_PASSWORD, "/users")
        ready(page)
        page.get_by_test_id("create-user").click()
        page.get_by_test_id("field-username").fill("sora")
        page.get_by_test_id("field-password").fill("short")
        page.get_by_test_id("create-user-confirm").click()
        expect(page.get_by_text("Central refused")).to_be_visible()  # too short, in words
        page.get_by_test_id("field-password").fill("sora-first-password")
        page.get_by_test_id("field-display_name").first.fill("소라 Sora")
        page.get_by_test_id("field-team").first.fill("Korean → Japanese")
        page.get_by_test_id("create-user-confirm").click()
        expect(page.get_by_test_id("user-sora")).to_contain_text("Korean → Japanese")
        sora = httpx.get(f"{central_url}/api/admin/users/sora", headers=admin).json()
        assert (sora["display_name"], sora["role"]) == ("소라 Sora", "translator")

        ready(page)
        page.get_by_test_id("reset-sora").click()
        shown = page.get_by_test_id("password-sora")
        expect(shown).to_contain_text("New password for sora: ")
        password = shown.inner_text().split(": ", 1)[1].split(" ")[0]
        signed = httpx.post(
            f"{central_url}/api/admin/session", json={"username": "sora", "password": password}
        )
        assert signed.json()["code"] == "not_staff"  # the password is right; sora is no staff

        page.get_by_test_id("delete-sora").click()
        page.get_by_test_id("delete-confirm").click()
        expect(page.get_by_test_id("user-sora")).to_have_count(0)
        gone = httpx.get(f"{central_url}/api/admin/users/sora", headers=admin)
        assert gone.status_code == 404

        page.goto(f"{console}/releases")
        ready(page)
        page.get_by_test_id("field-version").fill("9.9.0")
        page.get_by_test_id("field-notes").fill("Required update")
        page.get_by_test_id("field-url").fill("https://example.com/LocaNext-9.9.0.exe")
        page.get_by_test_id("field-required").click()
        page.get_by_test_id("publish-release").click()
        release = page.get_by_test_id("release-9.9.0")
        expect(release).to_contain_text("required")
        listed = httpx.get(f"{central_url}/api/admin/releases", headers=admin).json()
        assert [(r["version"], r["required"]) for r in listed] == [("9.9.0", True)]
        ready(page)
        page.get_by_test_id("withdraw-9.9.0").click()
        expect(release).to_have_count(0)
        assert httpx.get(f"{central_url}/api/admin/releases", headers=admin).json() == []
