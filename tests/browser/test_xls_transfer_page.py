"""A localization tool's UI path in a real browser: XLS Transfer builds a dictionary from one
workbook and transfers it into another from the Apps form; the output workbook is checked cell by
cell, styles included."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from playwright.sync_api import Page, expect

from shell.processes import Child
from tests.browser.apps import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _workbooks(tmp_path: Path) -> tuple[Path, Path]:
    source = Workbook()
    sheet = source.active
    for row in [
        ("시작하기", "Start"),
        ("게임 종료", "Quit game"),
        ("{0}개의 아이템", "{0} items"),
        (
            "<PAColor0xffe9bd23>전설의 검<PAOldColor>",
            "<PAColor0xffe9bd23>Legendary sword<PAOldColor>",
        ),
    ]:
        sheet.append(row)
    source.save(tmp_path / "glossary_ko.xlsx")
    target = Workbook()
    sheet = target.active
    sheet.append(("Korean", "English"))
    sheet["A1"].font = Font(bold=True)
    for text in ("시작하기", "게임 종료!", "<PAColor0xffe9bd23>전설의 검<PAOldColor>", "새 문장"):
        sheet.append((text, None))
    target.save(tmp_path / "quests.xlsx")
    return tmp_path / "glossary_ko.xlsx", tmp_path / "quests.xlsx"


# Parameters offered as a list of what exists (typed, then Enter takes the value).
CHOSEN = {"dictionary"}


def _run(page: Page, url: str, function: str, inputs: Path, params: dict[str, str]) -> None:
    open_page(page, f"{url}/tools?tool=xls_transfer&function={function}")
    expect(page.get_by_test_id("tool-params")).to_be_visible()
    page.get_by_test_id("tool-inputs").fill(str(inputs))
    for name, value in params.items():
        page.get_by_test_id(f"param-{name}").fill(value)
        if name in CHOSEN:
            page.get_by_test_id(f"param-{name}").press("Enter")
    page.get_by_test_id("start-task").click()
    expect(page.get_by_test_id("current-task-state")).to_have_text("succeeded", timeout=60_000)


def test_xls_transfer_from_the_apps_form(page: Page, tmp_path: Path) -> None:
    glossary, quests = _workbooks(tmp_path)
    args = ["app", "--headless", "--no-sync", "--data-dir", str(tmp_path / "app")]
    app = Child("app", args, tmp_path / "app.log")
    try:
        url = app.app_url()
        page.goto(app.launch_url())  # the one-time link sets the key's cookie
        _run(page, url, "build_dictionary", glossary, {"name": "quests"})
        expect(page.get_by_test_id("task-summary")).to_contain_text("entries: 4")
        _run(
            page,
            url,
            "transfer_excel",
            quests,
            {"dictionary": "quests", "threshold": "0.9", "first_row": "2"},
        )
        # The fuzzy fill is listed for review with its score; the exact ones are not.
        review = page.get_by_test_id("report-1")
        expect(review.locator("tbody tr")).to_have_count(1)
        expect(review).to_contain_text("게임 종료!")
        expect(review).to_contain_text("Quit game")
        page.get_by_test_id("report-1-all").click()
        expect(review.locator("tbody tr")).to_have_count(4)
        page.screenshot(path=str(tmp_path / "transfer.png"), full_page=True)
    finally:
        assert app.stop() == 0
    [output] = [p for p in tmp_path.glob("quests*.xlsx") if p != quests]
    sheet = load_workbook(output).active
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Korean", "English"],
        ["시작하기", "Start"],
        ["게임 종료!", "Quit game"],  # fuzzy, above 0.9
        [
            "<PAColor0xffe9bd23>전설의 검<PAOldColor>",
            "<PAColor0xffe9bd23>Legendary sword<PAOldColor>",
        ],
        ["새 문장", None],  # nothing close enough
    ]
    assert sheet["A1"].font.bold  # the copy keeps the workbook's styles
