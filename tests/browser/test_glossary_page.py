"""The Team glossary page, offline, in Chromium: add, edit (dialog and inline), search as you
type, filter by game and language (kept in the URL), delete; every change waits to sync."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.db import Database
from engine.glossary import Filters, Glossary
from tests.browser.apps import open_page, served_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _terms(data: Path) -> list[tuple[str, str, str, str, str]]:
    db = Database(data / "engine.db")
    try:
        rows = Glossary(db).page(Filters(), limit=100).rows
    finally:
        db.close()
    return [
        (r.term.source, r.term.translation, r.term.game, r.term.language, r.term.note) for r in rows
    ]


def _add(page: Page, source: str, translation: str, game: str, language: str) -> None:
    page.get_by_test_id("glossary-add").click()
    dialog = page.get_by_test_id("term-dialog")
    dialog.get_by_test_id("term-source").fill(source)
    dialog.get_by_test_id("term-translation").fill(translation)
    for field, value in (("term-game", game), ("term-language", language)):
        box = dialog.get_by_test_id(field)
        box.fill(value)
        box.press("Enter")
    dialog.get_by_test_id("term-save").click()
    expect(dialog).to_be_hidden()


def test_glossary_offline_add_edit_search_filter_delete(page: Page, tmp_path: Path) -> None:
    with served_app(tmp_path) as (url, data):
        open_page(page, url + "/glossary")
        expect(page.get_by_test_id("glossary-empty")).to_contain_text("glossary is empty")
        page.screenshot(path=str(tmp_path / "glossary-empty.png"))

        _add(page, "검", "Sword", "dragon", "en")
        _add(page, "방패", "Shield", "dragon", "en")
        _add(page, "마법사", "Wizard", "island", "en")
        grid = page.get_by_test_id("glossary")
        expect(grid.locator("tbody tr")).to_have_count(3)
        expect(page.get_by_test_id("glossary-count")).to_have_text("3 terms")
        # Not enrolled: every change of ours waits to sync.
        expect(grid.get_by_text("waiting to sync")).to_have_count(3)

        # A save without a translation is refused in the dialog, which stays open.
        page.get_by_test_id("glossary-add").click()
        dialog = page.get_by_test_id("term-dialog")
        dialog.get_by_test_id("term-source").fill("활")
        dialog.get_by_test_id("term-save").click()
        expect(dialog.get_by_test_id("term-error")).to_contain_text("translation")
        dialog.get_by_test_id("term-cancel").click()

        # Inline edit of a translation.
        row = grid.locator("tr", has_text="방패")
        row.locator("[data-testid$='-translation']").click()
        editor = page.get_by_test_id("inline-input")
        editor.fill("Buckler")
        editor.press("Enter")
        expect(grid.locator("tr", has_text="방패")).to_contain_text("Buckler")

        # The edit dialog changes the note.
        grid.locator("tr", has_text="검").locator("[data-testid$='-edit']").click()
        dialog = page.get_by_test_id("term-dialog")
        dialog.get_by_test_id("term-note").fill("한손 무기")
        dialog.get_by_test_id("term-save").click()
        expect(grid.locator("tr", has_text="검")).to_contain_text("한손 무기")

        # Search as you type; the URL keeps the filter.
        page.get_by_test_id("glossary-search").fill("마법")
        expect(grid.locator("tbody tr")).to_have_count(1)
        expect(grid).to_contain_text("Wizard")
        expect(page).to_have_url(re.compile(r"q=%EB%A7%88%EB%B2%95"))
        page.get_by_test_id("glossary-search").fill("")
        expect(grid.locator("tbody tr")).to_have_count(3)

        # Filter by game, then reload: the filter comes back from the URL.
        page.get_by_test_id("glossary-game").click()
        page.get_by_role("option", name="island").click()
        expect(grid.locator("tbody tr")).to_have_count(1)
        # The server rewrites the URL after the grid: reloading before that reloads no filter.
        expect(page).to_have_url(re.compile(r"game=island"))
        page.reload()
        page.wait_for_function("() => window.socket && window.socket.connected")
        expect(page.get_by_test_id("glossary").locator("tbody tr")).to_have_count(1)
        expect(page.get_by_test_id("glossary-game")).to_contain_text("island")
        page.screenshot(path=str(tmp_path / "glossary-filtered.png"))

        # Delete, confirmed.
        open_page(page, url + "/glossary")
        grid = page.get_by_test_id("glossary")
        grid.locator("tr", has_text="마법사").locator("[data-testid$='-delete']").click()
        page.get_by_test_id("term-delete-confirm").click()
        expect(grid.locator("tbody tr")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "glossary.png"), full_page=True)

    assert sorted(_terms(data)) == [
        ("검", "Sword", "dragon", "en", "한손 무기"),
        ("방패", "Buckler", "dragon", "en", ""),
    ]
