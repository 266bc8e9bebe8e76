"""The pages people look at, in a real browser: the desktop app's home page and the admin
dashboard, each served by its own process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from engine.operations import OperationLog
from locanext.admin_client import session_headers
from locanext.processes import Child, free_port
from replicator import link
from replicator.loop import sync_once
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
        run = httpx.post(f"{url}/api/tools/text_stats/run", json={"inputs": [str(sample)]}).json()
        assert run["status"] == "succeeded"
        page.goto(url + "/")
        table = page.get_by_test_id("operations")
        expect(table).to_contain_text("text_stats")
        expect(table).to_contain_text("succeeded")
        expect(page.get_by_test_id("sync-status")).to_have_text("Not enrolled")
        page.screenshot(path=str(tmp_path / "app.png"))
    finally:
        assert child.stop() == 0


def test_admin_dashboard_lists_operations_across_installs(
    page: Page, tmp_path: Path, make_db, central_url: str, pg_dsn: str
) -> None:
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert created.status_code == 201
    ids = []
    for name in ("seoul-pc", "busan-pc"):
        db = make_db(name)
        with db.write() as conn:
            conn.execute("INSERT INTO installs (id, name) VALUES (?, ?)", (db.install_id, name))
        ops = OperationLog(db)
        op = ops.start(tool="xls_transfer", function=f"transfer-{name}", username="mina")
        ops.finish(op, status="succeeded", rows_in=120, rows_out=118)
        ids.append(op)
        link.enroll(db, central_url, "mina", "mina-password")
        sync_once(db)

    port = free_port()
    admin = Child("admin", ["admin", "--dsn", pg_dsn, "--port", str(port)], tmp_path / "admin.log")
    try:
        admin.wait_http(f"http://127.0.0.1:{port}/api/operations")
        page.goto(f"http://127.0.0.1:{port}/")
        table = page.get_by_test_id("operations")
        for name, op in zip(("seoul-pc", "busan-pc"), ids, strict=True):
            row = table.locator("tr", has_text=op)
            expect(row).to_contain_text(name)
            expect(row).to_contain_text("mina")
            expect(row).to_contain_text("succeeded")
        expect(page.get_by_test_id("operation-count")).to_contain_text("2 most recent")
        page.screenshot(path=str(tmp_path / "admin.png"))
    finally:
        admin.stop()
