"""The console's Overview, Installs, Conflicts and user detail pages on a mirror filled by two
real installs that ran tools and edited the same glossary term before syncing."""

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


def _two_installs_in_conflict(make_db, central_url: str) -> dict[str, str]:
    """install name -> install id; both ran a tool and translated one term differently."""
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    ids = {}
    for install, user, word in (("seoul-pc", "mina", "Sword"), ("tokyo-pc", "jun", "Blade")):
        body = {"username": user, "password": f"{user}-password", "team": "KO"}
        assert httpx.post(f"{central_url}/api/admin/users", json=body, headers=admin).is_success
        db = make_db(install)
        with db.write() as conn:
            conn.execute("INSERT INTO installs (id, name) VALUES (?, ?)", (db.install_id, install))
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation) VALUES ('t1', '검', ?)",
                (word,),
            )
        ops = OperationLog(db)
        op = ops.start(tool="xls_transfer", function="transfer", username=user)
        ops.finish(op, status=RunState.SUCCEEDED, rows_in=10)
        link.enroll(db, central_url, user, f"{user}-password")
        sync_once(db)
        ids[install] = db.install_id
    return ids


def test_overview_installs_conflicts_and_user_pages(
    page: Page, tmp_path: Path, make_db, pg_dsn: str, central_url: str
) -> None:
    ids = _two_installs_in_conflict(make_db, central_url)
    with served_console(tmp_path, pg_dsn, central_url) as console:
        sign_in(page, console, "admin", ADMIN_PASSWORD, "/")
        expect(page.get_by_test_id("value-installs")).to_have_text("2 / 2")
        expect(page.get_by_test_id("value-ops-today")).to_have_text("2")
        expect(page.get_by_test_id("value-users")).to_have_text("2")
        expect(page.get_by_test_id("value-conflicts")).to_have_text("1")
        expect(page.get_by_test_id("value-behind")).to_have_text("0")
        expect(page.get_by_test_id("chart-tools")).to_be_visible()
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        page.get_by_test_id("card-ops-today").click()
        expect(page.get_by_test_id("row-count")).to_have_text("2 rows on this page")

        page.goto(f"{console}/conflicts")
        card = page.locator("[data-testid^=conflict-]")
        expect(card).to_have_count(1)
        expect(card).to_contain_text("glossary_terms")
        expect(card).to_contain_text("Sword")
        expect(card).to_contain_text("Blade")
        expect(card).to_contain_text("kept ✓")
        page.screenshot(path=str(tmp_path / "conflicts.png"), full_page=True)
        page.goto(f"{console}/conflicts?table=users")
        expect(page.get_by_test_id("empty")).to_be_visible()

        page.goto(f"{console}/installs")
        ready(page)
        seoul = ids["seoul-pc"]
        expect(page.get_by_test_id(f"install-state-{seoul}")).to_have_text("healthy")
        page.get_by_test_id(f"revoke-{seoul}").click()
        expect(page.get_by_test_id(f"install-state-{seoul}")).to_have_text("revoked")
        page.screenshot(path=str(tmp_path / "installs.png"), full_page=True)
        ready(page)
        page.get_by_test_id(f"restore-{seoul}").click()
        expect(page.get_by_test_id(f"install-state-{seoul}")).to_have_text("healthy")
        page.goto(f"{console}/installs?state=revoked")
        expect(page.get_by_test_id("empty")).to_be_visible()

        page.goto(f"{console}/installs/{seoul}")
        expect(page.get_by_test_id("timeline")).to_contain_text("xls_transfer transfer")

        page.goto(f"{console}/users/mina")
        expect(page.get_by_test_id("user-rate")).to_have_text("1 runs in 30 days, 0% failed")
        expect(page.get_by_text("seoul-pc · healthy")).to_be_visible()
