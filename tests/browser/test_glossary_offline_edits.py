"""The team glossary between two desktop apps and central, all real processes over real HTTP,
driven through the Glossary page in Chromium: a term added on one install reaches the other;
both edit it while central is down; when central is back both converge on one value (cr-sqlite's
rule), nothing waits to sync any more, and the install whose edit was replaced shows the term as
contested and can put its value back, which then reaches the other install too."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from central.admin_client import session_headers
from shell.processes import Child, free_port
from shell.processes import run as locanext
from tests.browser.apps import let_in, open_page

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
ADMIN_PASSWORD = "e2e-admin-password"
SYNCED = 60_000  # ms: a sync round every second, central restarting in between


def _central(pg_dsn: str, port: int, tmp_path: Path) -> Child:
    child = Child(
        "central",
        ["central", "--dsn", pg_dsn, "--port", str(port)],
        tmp_path / "central.log",
        {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    child.wait_http(f"http://127.0.0.1:{port}/api/health")
    return child


def _app(name: str, tmp_path: Path) -> tuple[Child, str]:
    child = Child(
        name,
        ["app", "--headless", "--data-dir", str(tmp_path / name)],
        tmp_path / f"{name}.log",
        {"LOCANEXT_SYNC_INTERVAL": "1", "LOCANEXT_INSTALL_NAME": name},
    )
    return child, child.app_url()


def _edit_translation(page: Page, source: str, translation: str, note: str | None = None) -> None:
    grid = page.get_by_test_id("glossary")
    grid.locator("tr", has_text=source).locator("[data-testid$='-edit']").click()
    dialog = page.get_by_test_id("term-dialog")
    dialog.get_by_test_id("term-translation").fill(translation)
    if note is not None:
        dialog.get_by_test_id("term-note").fill(note)
    dialog.get_by_test_id("term-save").click()
    expect(dialog).to_be_hidden()


def test_offline_glossary_edits_on_two_installs_converge(
    browser: Browser,
    tmp_path: Path,
    pg_dsn: str,
) -> None:
    port = free_port()
    central_url = f"http://127.0.0.1:{port}"
    children: list[Child] = []
    contexts = []
    try:
        central = _central(pg_dsn, port, tmp_path)
        children.append(central)
        created = httpx.post(
            f"{central_url}/api/admin/users",
            json={"username": "mina", "password": "mina-password"},
            headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
        )
        assert created.status_code == 201, created.text
        pages: dict[str, Page] = {}
        for name in ("seoul", "busan"):
            app, url = _app(name, tmp_path)
            children.append(app)
            enrolled = locanext(
                "enroll", "--central", central_url, "--user", "mina", "--password-stdin",
                "--data-dir", str(tmp_path / name), stdin="mina-password\n",
            )  # fmt: skip
            assert enrolled.returncode == 0, enrolled.stderr
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            contexts.append(context)
            pages[name] = context.new_page()
            let_in(pages[name], tmp_path / name, url)
            open_page(pages[name], url + "/glossary")
        seoul, busan = pages["seoul"], pages["busan"]

        # A term added in Seoul reaches Busan through central; once central has it, it no
        # longer waits to sync.
        seoul.get_by_test_id("glossary-add").click()
        dialog = seoul.get_by_test_id("term-dialog")
        dialog.get_by_test_id("term-source").fill("검")
        dialog.get_by_test_id("term-translation").fill("Sword")
        dialog.get_by_test_id("term-save").click()
        expect(busan.get_by_test_id("glossary")).to_contain_text("Sword", timeout=SYNCED)
        expect(seoul.get_by_test_id("glossary").get_by_text("in sync")).to_have_count(
            1, timeout=SYNCED
        )

        # Central goes down; both edit the same translation.
        central.stop()
        children.remove(central)
        _edit_translation(seoul, "검", "Blade")
        _edit_translation(busan, "검", "Longsword", note="양손 무기")
        for page in (seoul, busan):
            expect(page.get_by_test_id("glossary").get_by_text("waiting to sync")).to_have_count(1)
        seoul.screenshot(path=str(tmp_path / "seoul-offline.png"))

        # Central is back on the same address: both converge on the larger value, with Busan's
        # note, and nothing waits any more.
        central = _central(pg_dsn, port, tmp_path)
        children.append(central)
        for page in (seoul, busan):
            grid = page.get_by_test_id("glossary")
            expect(grid.locator("tr", has_text="검")).to_contain_text("Longsword", timeout=SYNCED)
            expect(grid.locator("tr", has_text="검")).to_contain_text("양손 무기")
            expect(grid.get_by_text("waiting to sync")).to_have_count(0, timeout=SYNCED)
        # Seoul's Blade was replaced: Seoul shows the contest, Busan (whose value stands) not.
        contested = seoul.get_by_test_id("glossary").locator("[data-testid$='-contested']")
        expect(contested).to_have_count(1)
        expect(
            busan.get_by_test_id("glossary").locator("[data-testid$='-contested']")
        ).to_have_count(0)
        seoul.screenshot(path=str(tmp_path / "seoul-contested.png"))

        contested.click()
        expect(seoul.get_by_test_id("contest-translation-mine")).to_contain_text("Blade")
        expect(seoul.get_by_test_id("contest-translation-kept")).to_contain_text("Longsword")
        seoul.screenshot(path=str(tmp_path / "seoul-contest-dialog.png"))
        seoul.get_by_test_id("contest-use-mine").click()
        # Seoul's value, written again as a newer change, wins everywhere.
        for page in (seoul, busan):
            grid = page.get_by_test_id("glossary")
            expect(grid.locator("tr", has_text="검")).to_contain_text("Blade", timeout=SYNCED)
        expect(
            seoul.get_by_test_id("glossary").locator("[data-testid$='-contested']")
        ).to_have_count(0)
    finally:
        for context in contexts:
            context.close()
        for child in reversed(children):
            code = child.stop()
            if child.name in ("seoul", "busan"):
                assert code == 0, f"{child.name} did not stop cleanly:\n{child.tail()}"
