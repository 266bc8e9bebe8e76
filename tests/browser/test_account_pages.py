"""The account as a person meets it, in Chromium, against the desktop app as its own process and
a real central over HTTP: first start on the sign-in page, a wrong password, working offline
(and starting without a network after a first sign-in), signing out with changes still queued,
the profile reaching the mirror, a disabled account told in the header, the settings page and
the sync log; the app's events reach the mirror."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from engine.db import Database
from shell.processes import Child
from tests import engine_api
from tests.browser.apps import goto, register
from tests.central.restartable import running
from tests.waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SYNC_S = 30_000  # ms: sync rounds every 0.3 s, but the machine may be busy


def _app(tmp_path: Path, name: str = "app") -> tuple[Child, str]:
    child = Child(
        name,
        ["app", "--headless", "--data-dir", str(tmp_path / "data")],
        tmp_path / f"{name}.log",
        {"LOCANEXT_APP_SYNC_INTERVAL": "0.3"},
    )
    return child, register(child.app_url(), tmp_path / "data")


def _run_tool(url: str, sample: Path) -> str:
    answer = engine_api.post(
        sample.parent / "data", f"{url}/api/tools/text_stats/run", json={"inputs": [str(sample)]}
    ).json()
    assert answer["status"] == "succeeded", answer
    return answer["operation_id"]


def _sample(tmp_path: Path) -> Path:
    sample = tmp_path / "ui_ko.txt"
    sample.write_text("시작하기\n설정\n", encoding="utf-8")
    return sample


def _sign_in(
    page: Page, url: str, central: str, user: str, password: str = "", *, remember: bool = True
) -> None:
    goto(page, url + "/signin")
    page.get_by_test_id("signin-url").fill(central)
    page.get_by_test_id("signin-user").fill(user)
    page.get_by_test_id("signin-password").fill(password or f"{user}-password")
    if not remember:
        page.get_by_test_id("signin-remember").click()
        expect(page.get_by_test_id("signin-remember")).not_to_be_checked()
    page.get_by_test_id("signin-submit").click()


def _signed_in(page: Page, url: str, central: str, user: str) -> None:
    _sign_in(page, url, central, user)
    expect(page).to_have_url(url + "/", timeout=SYNC_S)
    expect(page.get_by_test_id("account-menu")).to_contain_text(user)


def _mirror(engine: Engine, sql: str, **params: object) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params)]


def _owner(engine: Engine, op: str) -> list[tuple]:
    return _mirror(engine, "SELECT username FROM operations WHERE id = :op", op=op)


def test_first_start_signs_in_and_earlier_runs_reach_the_mirror(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    with running(central_db, pg_dsn, ("mina",)) as central:
        app, url = _app(tmp_path)
        try:
            before = _run_tool(url, _sample(tmp_path))  # nobody signed in yet
            goto(page, url + "/")
            expect(page).to_have_url(url + "/signin")
            expect(page.get_by_test_id("signin-remember")).to_be_checked()
            page.screenshot(path=str(tmp_path / "signin.png"))

            _sign_in(page, url, central.url, "mina", "not-her-password")
            error = page.get_by_test_id("signin-error")
            expect(error).to_have_text("Wrong user name or password.", timeout=SYNC_S)
            expect(page.get_by_test_id("signin-password")).to_have_value("")
            page.screenshot(path=str(tmp_path / "signin-wrong-password.png"))

            page.get_by_test_id("signin-password").fill("mina-password")
            page.get_by_test_id("signin-password").press("Enter")
            expect(page).to_have_url(url + "/", timeout=SYNC_S)
            expect(page.get_by_test_id("account-menu")).to_contain_text("mina")
            expect(page.get_by_test_id("sync-status")).to_contain_text("Online", timeout=SYNC_S)
            wait_for(
                lambda: _owner(central_db, before),
                until=lambda rows: rows == [("mina",)],
                timeout=60,
                what="the run made before signing in, in the mirror under mina",
            )
            page.screenshot(path=str(tmp_path / "home-signed-in.png"))
        finally:
            assert app.stop() == 0


def test_working_offline_and_starting_without_a_network_after_signing_in(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    sample = _sample(tmp_path)
    app, url = _app(tmp_path, "first")  # no central anywhere yet
    try:
        goto(page, url + "/")
        expect(page).to_have_url(url + "/signin")
        page.get_by_test_id("signin-offline").click()
        expect(page).to_have_url(url + "/")
        expect(page.get_by_test_id("account-menu")).to_contain_text("Not signed in")
        _run_tool(url, sample)
        expect(page.get_by_test_id("operations")).to_contain_text("text_stats")
        goto(page, url + "/sync-log")
        expect(page.get_by_test_id("sync-log-empty")).to_contain_text("No sync rounds yet.")
        page.screenshot(path=str(tmp_path / "sync-log-empty.png"))
    finally:
        assert app.stop() == 0
    app, url = _app(tmp_path, "second")  # the choice to work offline is kept
    try:
        goto(page, url + "/")
        expect(page).to_have_url(url + "/")
        with running(central_db, pg_dsn, ("mina",)) as central:
            _signed_in(page, url, central.url, "mina")
            expect(page.get_by_test_id("sync-status")).to_contain_text("Online", timeout=SYNC_S)
    finally:
        assert app.stop() == 0
    app, url = _app(tmp_path, "third")  # central is gone: the app starts and works
    try:
        goto(page, url + "/")
        expect(page).to_have_url(url + "/")
        expect(page.get_by_test_id("account-menu")).to_contain_text("mina")
        expect(page.get_by_test_id("sync-status")).to_contain_text("Offline", timeout=SYNC_S)
        expect(page.get_by_test_id("account-notice")).to_be_hidden()  # offline is not alarming
        _run_tool(url, sample)
        expect(page.get_by_test_id("operations").locator("tr", has_text="mina")).to_have_count(2)
        page.screenshot(path=str(tmp_path / "offline-after-sign-in.png"))
    finally:
        assert app.stop() == 0


def test_signing_out_keeps_queued_changes_for_their_user(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    sample = _sample(tmp_path)
    with running(central_db, pg_dsn, ("mina", "jun")) as central:
        app, url = _app(tmp_path)
        try:
            _signed_in(page, url, central.url, "mina")
            expect(page.get_by_test_id("sync-status")).to_contain_text("Online", timeout=SYNC_S)
            central.stop()
            queued = _run_tool(url, sample)
            goto(page, url + "/account")
            page.get_by_test_id("account-sign-out").click()
            expect(page.get_by_test_id("sign-out-dialog")).to_contain_text("are sent first")
            page.get_by_test_id("sign-out-confirm").click()
            status = page.get_by_test_id("sign-out-status")
            expect(status).to_contain_text("Central cannot be reached", timeout=SYNC_S)
            page.screenshot(path=str(tmp_path / "sign-out-waits.png"))

            goto(page, url + "/signin")
            expect(page.get_by_test_id("signin-waiting")).to_contain_text("mina signed out")
            _sign_in(page, url, central.url, "jun")
            expect(page.get_by_test_id("signin-error")).to_contain_text(
                "of mina have not reached central yet", timeout=SYNC_S
            )
            page.screenshot(path=str(tmp_path / "switch-refused.png"))

            central.start()
            _signed_in(page, url, central.url, "jun")
            assert _owner(central_db, queued) == [("mina",)]  # sent under her link first
            assert _mirror(central_db, "SELECT username, unlinked FROM enrollments") == [
                ("jun", None)
            ]
            juns = _run_tool(url, sample)
            wait_for(
                lambda: _owner(central_db, juns),
                until=lambda rows: rows == [("jun",)],
                timeout=60,
                what="jun's run in the mirror under jun",
            )
            assert _owner(central_db, queued) == [("mina",)]
        finally:
            assert app.stop() == 0


def test_the_profile_edit_reaches_the_mirror(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    with running(central_db, pg_dsn, ("mina",)) as central:
        app, url = _app(tmp_path)
        try:
            _signed_in(page, url, central.url, "mina")
            goto(page, url + "/account")
            name = page.get_by_test_id("profile-display-name")
            if not name.is_visible():  # the profile arrives with the first pull
                wait_for(
                    lambda: [
                        u["username"]
                        for u in engine_api.get(tmp_path / "data", f"{url}/api/users").json()
                    ],
                    until=lambda names: "mina" in names,
                    timeout=60,
                    what="mina's users row pulled",
                )
                page.reload()
            expect(page.get_by_test_id("profile-role")).to_contain_text("translator")
            name.fill("김민아")
            page.get_by_test_id("profile-team").fill("KO-EN 2팀")
            page.get_by_test_id("profile-language").fill("ko")
            page.get_by_test_id("profile-save").click()
            expect(page.get_by_test_id("profile-message")).to_contain_text("Saved")
            page.screenshot(path=str(tmp_path / "profile.png"))
            wait_for(
                lambda: _mirror(
                    central_db, "SELECT display_name, team, language, role FROM users"
                    " WHERE username = 'mina'"
                ),
                until=lambda rows: rows == [("김민아", "KO-EN 2팀", "ko", "translator")],
                timeout=60,
                what="mina's profile in the mirror",
            )  # fmt: skip
        finally:
            assert app.stop() == 0


def test_a_disabled_account_is_told_in_the_header_and_events_reach_the_mirror(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    with running(central_db, pg_dsn, ("mina",)) as central:
        app, url = _app(tmp_path)
        try:
            _signed_in(page, url, central.url, "mina")
            expect(page.get_by_test_id("sync-status")).to_contain_text("Online", timeout=SYNC_S)
            with central.admin() as admin:
                admin.post("/api/admin/users/mina/disable")
            notice = page.get_by_test_id("account-notice")
            expect(notice).to_have_text("errorAccount disabled", timeout=SYNC_S)
            banner = page.get_by_test_id("account-banner-text")
            expect(banner).to_contain_text("The account mina is disabled at central.")
            expect(banner).to_contain_text("contact your administrator")
            expect(page.get_by_test_id("account-banner-action")).to_have_text("Details")
            page.screenshot(path=str(tmp_path / "account-disabled.png"))
            assert (
                engine_api.get(tmp_path / "data", f"{url}/api/account").json()["notice"]["kind"]
                == "account_disabled"
            )
            page.get_by_test_id("account-banner-action").click()  # the way forward
            expect(page).to_have_url(url + "/account")
            card = page.get_by_test_id("account-notice-card")
            expect(card).to_contain_text("Account disabled")
            expect(card).to_contain_text("until an administrator enables it")
            page.screenshot(path=str(tmp_path / "account-disabled-details.png"))
            page.evaluate("setTimeout(() => { throw new Error('boom from a test page') }, 0)")

            with central.admin() as admin:
                admin.post("/api/admin/users/mina/enable")
            page.get_by_test_id("account-sync-now").click()  # sync waited for the user
            expect(notice).to_be_hidden(timeout=SYNC_S)
            expect(page.get_by_test_id("account-banner")).to_be_hidden()
            wanted = {
                ("info", "app", "started"),
                ("warning", "sync", "sync failed: account_disabled (account_disabled)"),
                ("info", "sync", "sync works again after account_disabled"),
                ("error", "ui", "Uncaught Error: boom from a test page"),
            }
            seen = wait_for(
                lambda: set(_mirror(central_db, "SELECT level, component, message FROM events")),
                until=lambda events: wanted <= events,
                timeout=60,
                what=f"the app's events in the mirror: {sorted(wanted)}",
            )
            assert not [e for e in seen if e[1] == "sync" and "unreachable" in e[2]]
        finally:
            assert app.stop() == 0


def test_the_settings_page_and_the_sync_log(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    with running(central_db, pg_dsn, ("mina",)) as central:
        app, url = _app(tmp_path)
        try:
            _signed_in(page, url, central.url, "mina")
            goto(page, url + "/settings")
            expect(page.get_by_test_id("settings-central-url")).to_have_text(central.url)
            data = tmp_path / "data"
            expect(page.get_by_test_id("settings-data-dir")).to_have_text(str(data))
            expect(page.get_by_test_id("settings-db-path")).to_have_text(str(data / "engine.db"))
            interval = page.get_by_test_id("settings-interval")
            expect(interval).to_have_value("0.3")
            interval.fill("0.5")
            page.get_by_test_id("settings-interval-save").click()
            message = page.get_by_test_id("settings-message")
            expect(message).to_contain_text("must be 1 to 3600 seconds")
            interval.fill("2")
            page.get_by_test_id("settings-interval-save").click()
            expect(message).to_have_text("Syncs every 2 s from now on.")
            page.get_by_test_id("settings-sync-now").click()
            expect(message).to_have_text("Syncing now…")
            page.get_by_test_id("settings-diagnostics-switch").click()
            page.screenshot(path=str(tmp_path / "settings.png"))
            page.reload()
            expect(interval).to_have_value("2")
            expect(page.get_by_test_id("settings-diagnostics-switch")).to_have_attribute(
                "aria-checked", "false"
            )
            failed = engine_api.post(
                tmp_path / "data",
                f"{url}/api/tools/text_stats/run",
                json={"inputs": [str(tmp_path / "no.txt")]},
            ).json()
            assert failed["status"] == "failed"

            goto(page, url + "/sync-log")
            table = page.get_by_test_id("sync-log")
            expect(table.locator("tbody tr").first).to_contain_text("OK", timeout=SYNC_S)
            expect(table).to_contain_text("Sent")
            page.screenshot(path=str(tmp_path / "sync-log.png"))
        finally:
            assert app.stop() == 0
    db = Database(tmp_path / "data" / "engine.db")
    try:
        with db.read() as conn:
            tool_events = conn.execute(
                "SELECT count(*) FROM events WHERE component LIKE 'tool.%'"
            ).fetchone()[0]
            rounds = conn.execute("SELECT count(*), sum(pushed) FROM sync_log").fetchone()
    finally:
        db.close()
    assert tool_events == 0  # diagnostics were off when the run failed
    assert rounds[0] >= 1 and rounds[1] > 0


def test_without_remember_me_the_link_ends_when_the_app_closes_or_after_a_crash(
    page: Page, tmp_path: Path, central_db: Engine, pg_dsn: str
) -> None:
    enrollment = "SELECT username, unlinked IS NOT NULL FROM enrollments"
    with running(central_db, pg_dsn, ("mina",)) as central:
        app, url = _app(tmp_path, "closes")
        try:
            _sign_in(page, url, central.url, "mina", remember=False)
            expect(page).to_have_url(url + "/", timeout=SYNC_S)
            queued = _run_tool(url, _sample(tmp_path))
        finally:
            assert app.stop() == 0  # closing signs out: the run goes first, then the link
        assert _owner(central_db, queued) == [("mina",)]
        assert _mirror(central_db, enrollment) == [("mina", True)]

        app, url = _app(tmp_path, "crashes")
        try:
            goto(page, url + "/")
            expect(page).to_have_url(url + "/signin")
            _sign_in(page, url, central.url, "mina", remember=False)
            expect(page).to_have_url(url + "/", timeout=SYNC_S)
        finally:
            app.process.kill()  # no shutdown at all
            app.process.wait()
            app.stop()
        assert _mirror(central_db, enrollment) == [("mina", False)]

        app, url = _app(tmp_path, "after-crash")
        try:
            goto(page, url + "/")
            expect(page).to_have_url(url + "/signin")  # the next start ends it
            wait_for(
                lambda: _mirror(central_db, enrollment),
                until=lambda rows: rows == [("mina", True)],
                timeout=60,
                what="the link ended at central after the crash",
            )
        finally:
            assert app.stop() == 0
