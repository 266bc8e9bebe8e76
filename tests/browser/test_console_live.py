"""The Live page shows what central merges, without a reload: a run an install syncs appears on
the open page; paused, the page counts merges instead and shows them on resume; filters apply."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from central.admin_client import session_headers
from engine.operations import OperationLog, RunState
from replicator import link
from replicator.loop import sync_once
from tests.browser.console import ready, served_console, sign_in
from tests.conftest import ADMIN_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_merged_runs_appear_live_and_pause_holds_them(
    page: Page, tmp_path: Path, make_db, pg_dsn: str, central_url: str
) -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201
    db = make_db("seoul-pc")
    with db.write() as conn:
        conn.execute("INSERT INTO installs (id, name) VALUES (?, ?)", (db.install_id, "seoul-pc"))
    link.enroll(db, central_url, "mina", "mina-password")
    ops = OperationLog(db)

    def run(function: str, tool: str = "xls_transfer") -> None:
        op = ops.start(tool=tool, function=function, username="mina")
        ops.finish(op, status=RunState.SUCCEEDED, rows_in=3)
        sync_once(db)

    with served_console(tmp_path, pg_dsn, central_url) as console:
        sign_in(page, console, "admin", ADMIN_PASSWORD, "/live?tool=xls_transfer")
        ready(page)
        feed = page.get_by_test_id("feed")
        expect(feed).to_be_visible()
        run("first-live-run")
        expect(feed).to_contain_text("first-live-run")  # no reload: the merge woke the page
        run("other-tool-run", tool="quick_search")
        run("second-live-run")
        expect(feed).to_contain_text("second-live-run")
        expect(feed).not_to_contain_text("other-tool-run")  # the page's filter

        page.get_by_test_id("pause").click()
        run("held-run")
        expect(page.get_by_test_id("live-status")).to_contain_text("merges not shown yet")
        expect(feed).not_to_contain_text("held-run")
        page.get_by_test_id("pause").click()
        expect(feed).to_contain_text("held-run")
        page.screenshot(path=str(tmp_path / "live.png"))
