"""The Dictionaries page (list, rebuild, delete, empty state) and the remembered theme, in
Chromium against a headless app."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Page, expect

from tests import engine_api
from tests.browser.apps import open_page, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DARK, LIGHT = re.compile(r"\bbody--dark\b"), re.compile(r"\bbody--light\b")


def _workbook(path: Path, rows: list[tuple[str, str]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _run(
    url: str, data: Path, tool: str, function: str, inputs: list[Path], **params: object
) -> None:
    answer = engine_api.post(
        data,
        f"{url}/api/tools/{tool}/run",
        json={"inputs": [str(p) for p in inputs], "function": function, "params": params},
        timeout=120,
    ).json()
    assert answer["status"] == "succeeded", answer


def test_dictionaries_listed_rebuilt_and_deleted(page: Page, tmp_path: Path) -> None:
    source = _workbook(tmp_path / "glossary_ko.xlsx", [("검", "Sword"), ("방패", "Shield")])
    strings = tmp_path / "strings"
    strings.mkdir()
    (strings / "ko.xml").write_text(
        '<LanguageData><LocStr StringId="a" StrOrigin="시작" Str="Start"/></LanguageData>',
        "utf-8",
    )
    with served_app(tmp_path) as (url, data):
        open_page(page, url + "/dictionaries")
        expect(page.get_by_test_id("dictionaries-empty")).to_contain_text("No dictionary")
        page.screenshot(path=str(tmp_path / "dictionaries-empty.png"))

        _run(url, data, "xls_transfer", "build_dictionary", [source], name="weapons")
        _run(url, data, "quick_search", "build_dictionary", [strings], game="dragon", language="ko")
        open_page(page, url + "/dictionaries")
        table = page.get_by_test_id("dictionaries")
        weapons = table.locator("tr", has_text="weapons")
        expect(weapons).to_contain_text("XLS Transfer")
        expect(weapons.locator("td").nth(2)).to_have_text("2")
        expect(weapons).to_contain_text("glossary_ko.xlsx")
        dragon = table.locator("tr", has_text="dragon-ko")
        expect(dragon).to_contain_text("dragon · ko")
        expect(dragon).to_contain_text("1 file")
        page.screenshot(path=str(tmp_path / "dictionaries.png"))

        # Rebuild reads the same files again: a row added since shows in the count.
        _workbook(source, [("검", "Sword"), ("방패", "Shield"), ("활", "Bow")])
        page.get_by_test_id("dictionary-xls_transfer--weapons-rebuild").click()
        expect(weapons.locator("td").nth(2)).to_have_text("3", timeout=60_000)

        page.get_by_test_id("dictionary-quick_search--dragon-ko-delete").click()
        expect(page.get_by_test_id("dictionary-delete-dialog")).to_contain_text("dragon-ko")
        page.get_by_test_id("dictionary-delete-confirm").click()
        expect(table.locator("tbody tr")).to_have_count(1)
        assert not (
            tmp_path / "app" / "dictionaries" / "quick_search" / "dragon-ko.sqlite"
        ).exists()


def test_the_theme_is_remembered(page: Page, tmp_path: Path) -> None:
    with served_app(tmp_path) as (url, _data):
        open_page(page, url + "/glossary")
        body = page.locator("body")
        expect(body).to_have_class(DARK)  # dark matte by default
        page.screenshot(path=str(tmp_path / "dark.png"))
        page.get_by_test_id("theme-toggle").click()
        expect(body).to_have_class(LIGHT)
        open_page(page, url + "/tasks")  # another page, and a reload
        expect(body).to_have_class(LIGHT)
        page.screenshot(path=str(tmp_path / "light.png"))
    # A new start of the app on the same data keeps it too.
    with served_app(tmp_path) as (url, _data):
        open_page(page, url + "/")
        expect(page.locator("body")).to_have_class(LIGHT)
        page.get_by_test_id("theme-toggle").click()
        expect(page.locator("body")).to_have_class(DARK)
