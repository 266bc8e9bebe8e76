"""What administrators publish reaches the desktop app's pages: announcements written through
central's merge path (central.writes, as central's own admin writes are) and pulled by a real
app process appear as banners coloured by level with their word, hide once read or expired,
and are all listed on the Announcements page; a newer release shows a notice that can wait, a
required one a banner that stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from central.admin_client import session_headers
from central.writes import write_row
from engine import __version__
from shell.processes import run as locanext
from tests.browser.apps import open_page, served_app
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
PULLED = 30_000  # ms: the app syncs every second


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _publish(central_db: Engine, table: str, key: str, values: dict[str, object]) -> None:
    with central_db.begin() as conn:
        write_row(conn, table, key, values)


def _next_versions() -> tuple[str, str]:
    major, minor, *_ = (int(p) for p in __version__.split("."))
    return f"{major}.{minor + 1}.0", f"{major}.{minor + 2}.0"


def test_announcement_banners_and_release_notices(
    page: Page,
    tmp_path: Path,
    central_db: Engine,
    central_url: str,
) -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201, created.text
    data = tmp_path / "app"
    enrolled = locanext(
        "enroll", "--central", central_url, "--user", "mina", "--password-stdin",
        "--data-dir", str(data), stdin="mina-password\n",
    )  # fmt: skip
    assert enrolled.returncode == 0, enrolled.stderr
    now = datetime.now(UTC)
    _publish(central_db, "announcements", "freeze", {
        "title": "String freeze on Friday", "body": "금요일 18시에 문자열을 동결합니다.",
        "level": "warning", "created": _iso(now - timedelta(hours=1)),
        "expires": _iso(now + timedelta(days=3)),
    })  # fmt: skip
    _publish(central_db, "announcements", "old", {
        "title": "Last week's outage", "body": "", "level": "critical",
        "created": _iso(now - timedelta(days=8)), "expires": _iso(now - timedelta(days=1)),
    })  # fmt: skip

    with served_app(tmp_path, sync=True, env={"LOCANEXT_SYNC_INTERVAL": "1"}) as (url, _data):
        open_page(page, url + "/")
        banner = page.get_by_test_id("banner-freeze")
        expect(banner).to_be_visible(timeout=PULLED)
        # The level shows as a word and an icon, not only as a colour.
        expect(banner).to_contain_text("Warning:")
        expect(banner).to_contain_text("String freeze on Friday")
        expect(banner).to_have_attribute("data-level", "warning")
        expect(page.get_by_test_id("banner-old")).to_have_count(0)  # expired
        page.screenshot(path=str(tmp_path / "banner.png"))

        # A critical one published while the page is open appears without a reload.
        _publish(central_db, "announcements", "server", {
            "title": "Central moves tonight", "body": "Sync pauses 22:00-23:00.",
            "level": "critical", "created": _iso(datetime.now(UTC)),
        })  # fmt: skip
        expect(page.get_by_test_id("banner-server")).to_contain_text("Critical:", timeout=PULLED)

        page.get_by_test_id("banner-freeze-read").click()
        expect(page.get_by_test_id("banner-freeze")).to_have_count(0)
        open_page(page, url + "/announcements")
        expect(page.get_by_test_id("banner-freeze")).to_have_count(0)  # read stays read
        listed = page.get_by_test_id("announcements")
        expect(listed.get_by_test_id("announcement-freeze-state")).to_have_text("read")
        expect(listed.get_by_test_id("announcement-server-state")).to_have_text("unread")
        expect(listed.get_by_test_id("announcement-freeze")).to_contain_text("금요일 18시")
        expect(listed.get_by_test_id("announcement-old")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "announcements.png"), full_page=True)
        page.get_by_test_id("announcements-read-all").click()
        expect(page.get_by_test_id("banner-server")).to_have_count(0)

        # A newer release: a notice with its notes and link, which can wait.
        optional, required = _next_versions()
        _publish(central_db, "app_releases", optional, {
            "required": 0, "notes": "Faster search", "url": "https://example.test/download",
            "released": _iso(datetime.now(UTC)),
        })  # fmt: skip
        notice = page.get_by_test_id("update-available")
        expect(notice).to_contain_text(f"Update available: LocaNext {optional}", timeout=PULLED)
        expect(page.get_by_test_id("update-available-notes")).to_have_text("Faster search")
        expect(page.get_by_test_id("update-available-link")).to_have_attribute(
            "href", "https://example.test/download"
        )
        page.get_by_test_id("update-available-dismiss").click()
        expect(notice).to_have_count(0)

        # A required one: a banner without a way to dismiss it, on every page, after reloads.
        _publish(central_db, "app_releases", required, {
            "required": 1, "notes": "Sync format 3", "url": "https://example.test/required",
        })  # fmt: skip
        banner = page.get_by_test_id("update-required")
        expect(banner).to_contain_text(f"Update required: LocaNext {required}", timeout=PULLED)
        expect(page.get_by_test_id("update-required-dismiss")).to_have_count(0)
        for path in ("/", "/glossary", "/tools"):
            open_page(page, url + path)
            expect(page.get_by_test_id("update-required")).to_be_visible()
        page.screenshot(path=str(tmp_path / "required.png"))
