"""The console's Activity and Logs pages on a mirror filled by real installs that synced: each
filter changes the rows and lives in the URL, pages follow one another, the detail panel shows a
run's parameters and error, and the exported files hold exactly the filtered view."""

from __future__ import annotations

import csv
import io
import json
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

# install, user, tool, function (unique: it names the run on the page), status, error
RUNS = [
    ("seoul-pc", "mina", "xls_transfer", "transfer-seoul", "succeeded", None),
    ("seoul-pc", "mina", "quick_search", "search-seoul", "failed", "시트 없음: Sheet2"),
    ("tokyo-pc", "jun", "xls_transfer", "transfer-tokyo", "succeeded", None),
    ("tokyo-pc", "jun", "similar_strings", "similar-tokyo", "succeeded", None),
]


def _seed(make_db, central_url: str) -> dict[str, str]:
    """Two installs of two users in two teams run tools and sync; function -> operation id."""
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    for user, team in (("mina", "Korean → English"), ("jun", "Japanese")):
        body = {"username": user, "password": f"{user}-password", "team": team}
        created = httpx.post(f"{central_url}/api/admin/users", json=body, headers=admin)
        assert created.status_code == 201, created.text
    ids = {}
    for install, user in (("seoul-pc", "mina"), ("tokyo-pc", "jun")):
        db = make_db(install)
        with db.write() as conn:
            conn.execute("INSERT INTO installs (id, name) VALUES (?, ?)", (db.install_id, install))
        ops = OperationLog(db)
        for where, who, tool, function, status, error in RUNS:
            if where != install:
                continue
            op = ops.start(tool=tool, function=function, username=who, parameters={"min": 0.99})
            duration = float(
                1 + [r[3] for r in RUNS].index(function)
            )  # 1 s, 2 s, ... in RUNS order
            ops.finish(op, status=RunState(status), rows_in=120, error=error, duration=duration)
            ids[function] = op
        link.enroll(db, central_url, user, f"{user}-password")
        sync_once(db)
    return ids


def _functions(page: Page) -> list[str]:
    """The Function column of the table, top to bottom."""
    table = page.get_by_test_id("rows")
    expect(table).to_be_visible()
    return table.locator("tbody tr td:nth-child(5)").all_inner_texts()


def test_filters_pages_detail_and_export_of_the_activity_list(
    page: Page, tmp_path: Path, make_db, pg_dsn: str, central_url: str
) -> None:
    ids = _seed(make_db, central_url)
    with served_console(tmp_path, pg_dsn, central_url) as console:
        sign_in(page, console, "admin", ADMIN_PASSWORD, "/activity")
        ready(page)
        expect(page.get_by_test_id("row-count")).to_have_text("4 rows on this page")

        page.get_by_test_id("filter-tool").fill("xls_transfer")
        page.get_by_test_id("apply").click()
        expect(page).to_have_url(f"{console}/activity?tool=xls_transfer")
        expect(page.get_by_test_id("row-count")).to_have_text("2 rows on this page")
        assert sorted(_functions(page)) == ["transfer-seoul", "transfer-tokyo"]
        expect(page.get_by_test_id("chip-tool")).to_contain_text("Tool: xls_transfer")

        ready(page)
        page.get_by_test_id("filter-team").fill("Japanese")
        page.get_by_test_id("apply").click()
        expect(page.get_by_test_id("row-count")).to_have_text("1 rows on this page")
        assert _functions(page) == ["transfer-tokyo"]

        for query, expected in (
            ("status=failed", ["search-seoul"]),
            ("q=sheet2", ["search-seoul"]),
            ("user=jun", ["similar-tokyo", "transfer-tokyo"]),
            ("install=seoul-pc&sort=-duration", ["search-seoul", "transfer-seoul"]),
            ("since=2000-01-01&until=2000-12-31", []),
        ):
            page.goto(f"{console}/activity?{query}")
            expect(page.get_by_test_id("row-count")).to_have_text(
                f"{len(expected)} rows on this page"
            )
            if expected:
                found = _functions(page)
                assert (found if "sort" in query else sorted(found)) == expected, query
        expect(page.get_by_test_id("empty")).to_be_visible()

        # pages of two, in the sort order, then back to the first
        page.goto(f"{console}/activity?sort=duration&size=2")
        assert _functions(page) == ["transfer-seoul", "search-seoul"]
        page.get_by_test_id("next-page").click()
        expect(page.get_by_test_id("first-page")).to_be_visible()
        assert _functions(page) == ["transfer-tokyo", "similar-tokyo"]
        expect(page.get_by_test_id("next-page")).to_have_count(0)
        page.get_by_test_id("first-page").click()
        expect(page.get_by_test_id("next-page")).to_be_visible()
        assert _functions(page) == ["transfer-seoul", "search-seoul"]

        # the detail panel
        page.goto(f"{console}/activity?status=failed")
        ready(page)
        page.get_by_test_id("rows").locator("tbody tr").first.click()
        expect(page.get_by_test_id("detail-error")).to_have_text("시트 없음: Sheet2")
        expect(page.get_by_test_id("detail-parameters")).to_contain_text('"min": 0.99')
        expect(page.get_by_test_id("detail-id")).to_have_text(ids["search-seoul"])
        page.screenshot(path=str(tmp_path / "activity.png"))

        # export of exactly the filtered view, from the page's own links
        page.goto(f"{console}/activity?tool=xls_transfer")
        shown = _functions(page)
        href = page.get_by_test_id("export-csv").get_attribute("href")
        exported = page.request.get(f"{console}{href}")
        assert exported.ok
        rows = list(csv.DictReader(io.StringIO(exported.text())))
        assert [r["function"] for r in rows] == shown
        assert [r["id"] for r in rows] == [ids[f] for f in shown]
        assert all(r["started"].endswith("+00:00") for r in rows)  # ISO with its offset
        href = page.get_by_test_id("export-ndjson").get_attribute("href")
        lines = page.request.get(f"{console}{href}").text().splitlines()
        assert [json.loads(line)["function"] for line in lines] == shown
        excel = page.request.get(f"{console}/export/operations.csv?tool=xls_transfer&bom=1")
        assert excel.body().startswith("\ufeff".encode())

        # scripts: the same view with central's staff token
        staff = session_headers(central_url, "admin", ADMIN_PASSWORD)
        listed = httpx.get(f"{console}/api/operations?tool=xls_transfer", headers=staff).json()
        assert [r["function"] for r in listed["rows"]] == shown
        bad = httpx.get(f"{console}/api/operations?since=yesterday", headers=staff)
        assert bad.status_code == 422 and bad.json()["code"] == "bad_filter"


def test_logs_list_filters_events_by_level_and_text(
    page: Page, tmp_path: Path, make_db, pg_dsn: str, central_url: str
) -> None:
    _seed(make_db, central_url)
    with served_console(tmp_path, pg_dsn, central_url) as console:
        # a run refused on its input is a warning for the admins (a broken tool an error)
        sign_in(page, console, "admin", ADMIN_PASSWORD, "/logs?level=warning")
        table = page.get_by_test_id("rows")
        expect(table).to_contain_text("시트 없음: Sheet2")
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("seoul-pc")
        page.goto(f"{console}/logs?q=SHEET2&component=tool.quick_search")
        expect(page.get_by_test_id("rows").locator("tbody tr")).to_have_count(1)
        page.goto(f"{console}/logs?level=error")
        expect(page.get_by_test_id("empty")).to_be_visible()
        page.goto(f"{console}/logs?level=warning&install=tokyo-pc")
        expect(page.get_by_test_id("empty")).to_be_visible()
        page.goto(f"{console}/logs?after=garbage")
        expect(page.get_by_test_id("problem")).to_contain_text("after:")
