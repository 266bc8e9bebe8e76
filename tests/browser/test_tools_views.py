"""The Apps page without typed paths, and results as the tools' own views, in Chromium against a
headless app: the in-page picker browses the user's folders for inputs and a report file; search
hits come in a grid whose next pages and sorts never re-run the search; a check's report is a
table; a transfer's fuzzy fills are listed for review with the differences marked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.db import Database
from engine.operations import OperationLog, RunState
from engine.tasks.results import ResultStore
from engine.tools.reports import write_report
from tests import engine_api
from tests.browser.apps import open_page, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _strings(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    # Every tenth translation lost its {0} tag.
    tag = ["" if i % 10 == 0 else " {0}" for i in range(count)]
    rows = "".join(
        f'<LocStr StringId="S{i:03}" StrOrigin="검 {i}번 {{0}}" Str="Sword {i}{tag[i]}"/>\n'
        for i in range(count)
    )
    (folder / "dragon_ko.xml").write_text(f"<LanguageData>\n{rows}</LanguageData>\n", "utf-8")
    return folder


def _browse_to(page: Page, folder: Path) -> None:
    picker = page.get_by_test_id("picker")
    expect(picker).to_be_visible()
    picker.get_by_test_id("picker-path").fill(str(folder))
    picker.get_by_test_id("picker-go").click()
    expect(picker.get_by_test_id("picker-path")).to_have_value(str(folder))


def _choose(page: Page, testid: str, value: str) -> None:
    page.get_by_test_id(testid).fill(value)
    page.get_by_test_id(testid).press("Enter")


def _start(page: Page) -> None:
    page.get_by_test_id("start-task").click()
    expect(page.get_by_test_id("current-task-state")).to_have_text("succeeded", timeout=90_000)


def test_pickers_and_result_grids(page: Page, tmp_path: Path) -> None:
    strings = _strings(tmp_path / "loc" / "strings", 120)
    (tmp_path / "loc" / "notes_ko.txt").write_text("메모\n", "utf-8")
    (tmp_path / "loc" / "more_ko.txt").write_text("더\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    with served_app(tmp_path) as (url, _data):
        # A folder as the input of a dictionary build, chosen in the picker.
        open_page(page, f"{url}/tools?tool=quick_search&function=build_dictionary")
        page.get_by_test_id("add-folder").click()
        _browse_to(page, tmp_path / "nowhere")  # an error state first
        expect(page.get_by_test_id("picker-error")).to_contain_text("not a folder")
        _browse_to(page, tmp_path / "loc")
        page.get_by_test_id("picker-entries").get_by_role("button", name="strings").click()
        expect(page.get_by_test_id("picker-path")).to_have_value(str(strings))
        page.screenshot(path=str(tmp_path / "picker-folder.png"))
        page.get_by_test_id("picker-choose").click()
        expect(page.get_by_test_id("tool-inputs")).to_have_value(str(strings))
        _choose(page, "param-game", "dragon")
        _choose(page, "param-language", "ko")
        _start(page)

        # Files ticked in the picker.
        open_page(page, f"{url}/tools?tool=text_stats")
        page.get_by_test_id("add-files").click()
        _browse_to(page, tmp_path / "loc")
        for name in ("notes_ko.txt", "more_ko.txt"):
            page.get_by_test_id("picker-entries").get_by_text(name).click()
        expect(page.get_by_test_id("picker-summary")).to_have_text("2 files chosen")
        page.get_by_test_id("picker-choose").click()
        expect(page.get_by_test_id("tool-inputs")).to_have_value(
            f"{tmp_path / 'loc' / 'more_ko.txt'}\n{tmp_path / 'loc' / 'notes_ko.txt'}"
        )

        # A search whose report file is chosen with the save picker.
        open_page(page, f"{url}/tools?tool=quick_search&function=search")
        page.get_by_test_id("tool-inputs").fill(str(strings))
        _choose(page, "param-dictionary", "dragon-ko")
        page.get_by_test_id("param-query").fill("검")
        page.get_by_test_id("param-report-browse").click()
        _browse_to(page, out)
        page.get_by_test_id("picker-name").fill("hits.tsv")
        page.get_by_test_id("picker-choose").click()
        expect(page.get_by_test_id("param-report")).to_have_value(str(out / "hits.tsv"))
        _start(page)
        grid = page.get_by_test_id("report-0")
        expect(grid.locator("tbody tr")).to_have_count(25)
        expect(grid).to_contain_text("1-25 of 120")
        expect(grid.locator("thead th").first).to_contain_text("Source")
        grid.get_by_role("button", name="Next page").click()
        expect(grid).to_contain_text("26-50 of 120")
        grid.locator("thead th", has_text="StringID").click()  # ascending
        grid.locator("thead th", has_text="StringID").click()  # descending
        expect(grid.locator("tbody tr").first).to_contain_text("S119")
        page.get_by_test_id("report-0-filter").fill("S07")
        expect(grid.locator("tbody tr")).to_have_count(10)
        page.screenshot(path=str(tmp_path / "search-grid.png"), full_page=True)
        searches = [
            op
            for op in engine_api.get(_data, f"{url}/api/operations").json()
            if op["function"] == "search"
        ]
        assert len(searches) == 1  # paging, sorting and filtering never ran it again

        # A check's report as a table: the strings whose {0} tag went missing.
        open_page(page, f"{url}/tools?tool=quick_search&function=pattern_check")
        page.get_by_test_id("tool-inputs").fill(str(strings))
        _start(page)
        table = page.get_by_test_id("report-0")
        expect(table).to_contain_text("1-12 of 12")
        expect(table.locator("thead")).to_contain_text("Missing in translation")
        expect(table.locator("tbody tr").first).to_contain_text("{0}")


def test_transfer_review_marks_differences_with_the_matched_source(
    page: Page, tmp_path: Path
) -> None:
    """A transfer report that names the dictionary source each fill matched (the shape newer
    tool versions write) shows it beside the target source, the differences marked."""
    data = tmp_path / "app"
    report = tmp_path / "quests_transfer_report.tsv"
    write_report(
        report,
        [
            "sheet",
            "row",
            "match",
            "score",
            "source",
            "translation",
            "missing_tags",
            "matched_source",
        ],
        [
            ["Sheet", 2, "exact", "1.0000", "시작하기", "Start", "", "시작하기"],
            ["Sheet", 3, "fuzzy", "0.9091", "게임 종료!", "Quit game", "", "게임 종료"],
            ["Sheet", 4, "fuzzy", "0.8800", "전설의 방패", "Legendary sword", "", "전설의 검"],
        ],
    )
    db = Database(data / "engine.db")
    try:
        ops = OperationLog(db)
        op = ops.start(tool="xls_transfer", function="transfer_excel", username="mina")
        ops.finish(op, status=RunState.SUCCEEDED, rows_in=3, rows_out=3, output_files=[report])
    finally:
        db.close()
    ResultStore(data).record(op, [report], [], {"exact": 1, "fuzzy": 2, "none": 0})
    with served_app(tmp_path) as (url, _data):
        open_page(page, f"{url}/results/{op}")
        review = page.get_by_test_id("report-0")
        expect(review.locator("tbody tr")).to_have_count(2)  # the fuzzy fills only
        shield = review.locator("tr", has_text="전설의 방패")
        expect(shield.locator(".lx-diff-del")).to_have_text("검")  # only in the dictionary's
        expect(shield.locator(".lx-diff-ins")).to_have_text("방패")  # only in the target's
        expect(shield).to_contain_text("0.8800")
        quit_row = review.locator("tr", has_text="Quit game")
        expect(quit_row.locator(".lx-diff-ins")).to_have_text("!")
        expect(page.get_by_test_id("report-0-no-matched")).to_have_count(0)
        review.locator("thead th", has_text=re.compile("^Score")).click()
        expect(review.locator("tbody tr").first).to_contain_text("0.8800")
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)


def test_transfer_review_lists_held_fills_and_alternatives(page: Page, tmp_path: Path) -> None:
    """A transfer report marking rows to review (needs_review) lists them all, fuzzy or not:
    a fill held back because its placeholders differ, with the problem, and an exact match that
    chose among several translations, with the alternatives; rows with nothing to review stay
    under All rows."""
    data = tmp_path / "app"
    report = tmp_path / "menu_transfer_report.tsv"
    header = [
        "sheet", "row", "match", "score", "source", "translation", "missing_tags",
        "extra_placeholders", "written", "needs_review", "problem", "matched_source",
        "differences", "alternatives",
    ]  # fmt: skip
    held = "placeholders differ from the source's"
    write_report(
        report,
        header,
        [
            ["S", 1, "exact", "1.0000", "닫기", "Close", "", "", "yes", "", "", "닫기", "", ""],
            [
                "S",
                2,
                "exact",
                "1.0000",
                "열기",
                "Open",
                "",
                "",
                "yes",
                "yes",
                "",
                "열기",
                "",
                "Opening",
            ],
            [
                "S",
                3,
                "exact",
                "1.0000",
                "%d개 남음",
                "%s left",
                "%d",
                "%s",
                "no",
                "yes",
                held,
                "%d개 남음",
                "",
                "",
            ],
        ],  # fmt: skip
    )
    db = Database(data / "engine.db")
    try:
        ops = OperationLog(db)
        op = ops.start(tool="xls_transfer", function="transfer_excel", username="mina")
        ops.finish(op, status=RunState.SUCCEEDED, rows_in=3, rows_out=2, output_files=[report])
    finally:
        db.close()
    ResultStore(data).record(op, [report], [], {"exact": 3, "not_written": 1, "ambiguous": 1})
    with served_app(tmp_path) as (url, _data):
        open_page(page, f"{url}/results/{op}")
        review = page.get_by_test_id("report-0")
        expect(review.locator("tbody tr")).to_have_count(2)
        expect(review.locator("tr", has_text="열기")).to_contain_text("Opening")
        expect(review.locator("tr", has_text="%d개 남음")).to_contain_text(held)
        expect(page.get_by_test_id("task-summary")).to_contain_text("not written: 1")
        page.get_by_test_id("report-0-all").click()
        expect(review.locator("tbody tr")).to_have_count(3)
