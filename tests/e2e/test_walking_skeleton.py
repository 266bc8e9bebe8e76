"""One operation travels the whole way, with real processes over real HTTP:
desktop app -> engine.db (cr-sqlite) -> replicator -> central -> PostgreSQL mirror -> admin page.

Two apps start while central is down and record operations offline; then central starts, both
enroll and sync; the mirror and the admin page show every operation of both exactly once, and a
user created centrally reaches both installs."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from central.admin_client import session_headers
from central.db import normalize_dsn
from shell.processes import Child, free_port
from shell.processes import run as locanext

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_PASSWORD = "e2e-admin-password"


def _eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_operations_of_two_offline_installs_reach_the_mirror_and_admin_page(
    tmp_path: Path, pg_dsn: str
) -> None:
    children: list[Child] = []
    sample = tmp_path / "strings_ko.txt"
    sample.write_text("시작하기\n설정\n게임 종료\n", encoding="utf-8")
    try:
        apps = []
        for name in ("pc-one", "pc-two"):
            child = Child(
                name,
                ["app", "--headless", "--data-dir", str(tmp_path / name)],
                tmp_path / f"{name}.log",
                {"LOCANEXT_APP_SYNC_INTERVAL": "1", "LOCANEXT_APP_INSTALL_NAME": name},
            )
            children.append(child)
            apps.append(child)
        urls = [app.app_url() for app in apps]

        # Offline: central is not running yet.
        recorded: dict[str, set[str]] = {}
        for name, url in zip(("pc-one", "pc-two"), urls, strict=True):
            ids = set()
            for _ in range(3):
                r = httpx.post(f"{url}/api/tools/text_stats/run", json={"inputs": [str(sample)]})
                assert r.status_code == 200, r.text
                assert r.json()["status"] == "succeeded"
                ids.add(r.json()["operation_id"])
            failed = httpx.post(
                f"{url}/api/tools/text_stats/run", json={"inputs": [str(tmp_path / "nope.txt")]}
            ).json()
            assert failed["status"] == "failed" and "file not found" in failed["error"]
            ids.add(failed["operation_id"])
            recorded[name] = ids
            status = httpx.get(f"{url}/api/sync").json()
            assert status["enrolled"] is False and status["pending_changes"] > 0

        port = free_port()
        central_url = f"http://127.0.0.1:{port}"
        central = Child(
            "central",
            ["central", "--dsn", pg_dsn, "--port", str(port)],
            tmp_path / "central.log",
            {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
        )
        children.append(central)
        central.wait_http(f"{central_url}/api/health")
        created = httpx.post(
            f"{central_url}/api/admin/users",
            json={"username": "mina", "password": "mina-password", "team": "KO-EN"},
            headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
        )
        assert created.status_code == 201, created.text

        for name in ("pc-one", "pc-two"):
            enrolled = locanext(
                "enroll", "--central", central_url, "--user", "mina", "--password-stdin",
                "--data-dir", str(tmp_path / name), stdin="mina-password\n",
            )  # fmt: skip
            assert enrolled.returncode == 0, enrolled.stderr
            assert "enrolled install" in enrolled.stdout

        everything = recorded["pc-one"] | recorded["pc-two"]
        engine = create_engine(normalize_dsn(pg_dsn), poolclass=NullPool)

        def mirrored() -> bool:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id FROM operations")).scalars().all()
            return set(rows) >= everything

        _eventually(mirrored, 60, "both installs' operations in the mirror")
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT o.id, o.status, i.name FROM operations o JOIN installs i"
                    " ON i.id = o.install_id"
                )
            ).all()
        engine.dispose()
        assert len(rows) == len({r.id for r in rows}) == len(everything)  # exactly once
        assert {r.id for r in rows if r.name == "pc-one"} == recorded["pc-one"]
        assert {r.id for r in rows if r.name == "pc-two"} == recorded["pc-two"]
        assert sum(r.status == "failed" for r in rows) == 2

        admin_port = free_port()
        admin = Child(
            "admin", ["admin", "--dsn", pg_dsn, "--port", str(admin_port)], tmp_path / "admin.log"
        )
        children.append(admin)
        admin_url = f"http://127.0.0.1:{admin_port}"
        admin.wait_http(f"{admin_url}/api/operations")
        listed = httpx.get(f"{admin_url}/api/operations").json()
        assert sorted(o["id"] for o in listed) == sorted(everything)
        assert {o["install"] for o in listed} == {"pc-one", "pc-two"}
        page = httpx.get(f"{admin_url}/").text
        for op_id in everything:
            assert page.count(op_id) == 1, f"operation {op_id} not shown exactly once"

        for url in urls:

            def has_mina(url: str = url) -> bool:
                return "mina" in {u["username"] for u in httpx.get(f"{url}/api/users").json()}

            _eventually(has_mina, 30, "the centrally created user on every install")
            status = httpx.get(f"{url}/api/sync").json()
            _eventually(
                lambda url=url: httpx.get(f"{url}/api/sync").json()["pending_changes"] == 0,
                30,
                "no changes waiting",
            )
            assert status["enrolled"] is True
            settled = httpx.get(f"{url}/api/sync").json()
            assert settled["last_failure"] is None and settled["online"] is True

        # pc-one's token expires: central answers 401, and pc-one says so by kind.
        pc_one = httpx.get(f"{urls[0]}/api/health").json()["install_id"]
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE enrollments SET expires = now() - interval '1 day'"
                    " WHERE install_id = :i"
                ),
                {"i": pc_one},
            )

        def failure_kind(url: str) -> str | None:
            failure = httpx.get(f"{url}/api/sync").json()["last_failure"]
            return failure and failure["kind"]

        _eventually(lambda: failure_kind(urls[0]) == "unauthorized", 30, "pc-one unauthorized")
        assert failure_kind(urls[1]) is None
        # Central goes away: both say they are offline.
        central.stop()
        for url in urls:
            _eventually(lambda url=url: failure_kind(url) == "unreachable", 30, "offline")
            assert httpx.get(f"{url}/api/sync").json()["online"] is False
        engine.dispose()
    finally:
        for child in reversed(children):
            code = child.stop()
            if child.name.startswith("pc-"):
                assert code == 0, f"{child.name} did not shut down cleanly:\n{child.tail()}"
