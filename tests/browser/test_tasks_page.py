"""One tool's whole UI path in a real browser: the Apps form starts text_stats as a task, the page
shows its live progress and result, and the Tasks view lists it with its output to download."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from shell.processes import Child
from tests import engine_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COPIES = 40


def test_text_stats_from_the_apps_form_to_the_tasks_history(page: Page, tmp_path: Path) -> None:
    source = tmp_path / "quests_ko.txt"
    source.write_text("<PAColor0xffe9bd23>전설의 검<PAOldColor>을 찾아라\n" * 250_000, "utf-8")
    report = tmp_path / "out" / "report.tsv"
    args = ["app", "--headless", "--no-sync", "--data-dir", str(tmp_path / "app")]
    app = Child("app", args, tmp_path / "app.log")
    try:
        url = app.app_url()
        page.goto(app.launch_url())  # the one-time link sets the key's cookie
        page.goto(f"{url}/tools?tool=text_stats")
        expect(page.get_by_test_id("tool-description")).to_contain_text("UTF-8 text files")
        page.get_by_test_id("tool-inputs").fill("\n".join([str(source)] * COPIES))
        page.get_by_test_id("param-report").fill(str(report))
        page.get_by_test_id("start-task").click()

        progress = page.get_by_test_id("current-task-text")
        expect(progress).to_have_text(
            re.compile(rf"[1-9]\d*/{COPIES} · quests_ko\.txt · [\d.]+/s · ETA"), timeout=30_000
        )
        expect(page.get_by_test_id("current-task-cancel")).to_be_visible()
        page.screenshot(path=str(tmp_path / "running.png"))
        expect(page.get_by_test_id("current-task-state")).to_have_text("succeeded", timeout=90_000)
        expect(page.get_by_test_id("task-summary")).to_contain_text(f"files: {COPIES}")
        expect(page.get_by_test_id("task-output-0-path")).to_have_text(str(report))

        with engine_api.client(tmp_path / "app") as api:
            [run] = api.get(f"{url}/api/tasks").json()["history"]
        page.get_by_test_id("to-tasks").click()
        card = page.get_by_test_id(f"history-{run['id']}")
        expect(card.get_by_test_id(f"history-{run['id']}-status")).to_have_text("succeeded")
        expect(card).to_contain_text("text_stats · count")
        expect(card).to_contain_text("quests_ko.txt")
        prefix = f"history-{run['id']}-output-0"
        expect(page.get_by_test_id(f"{prefix}-path")).to_have_text(str(report))
        with page.expect_download() as download:
            page.get_by_test_id(f"{prefix}-download").click()
        assert Path(download.value.path()).read_bytes() == report.read_bytes()

        page.get_by_test_id("filter-text").fill("no-such-file")
        expect(page.get_by_test_id("task-history")).to_contain_text("No runs match.")
        page.get_by_test_id("filter-text").fill("quests_ko")
        expect(card).to_be_visible()
        page.screenshot(path=str(tmp_path / "tasks.png"))
    finally:
        assert app.stop() == 0
