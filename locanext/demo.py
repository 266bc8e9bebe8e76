"""`locanext demo`: central with a private PostgreSQL, the admin dashboard and one desktop app
enrolled against it with a few sample operations, each in its own process."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from central.admin_client import session_headers
from locanext.failures import Failure
from shell.desktop import wait_for_signal
from shell.processes import Child, free_port

ADMIN_PASSWORD = "locanext-admin"
DEMO_USER, DEMO_PASSWORD = "mina", "mina-demo-pass"
SAMPLE_FILES = {
    "ui_strings_ko.txt": "시작하기\n설정\n\n게임 종료\n{0}개의 아이템을 얻었습니다\n",
    "quests_ko.txt": "<PAColor0xffe9bd23>전설의 검<PAOldColor>을 찾아라\n마을로 돌아가기\n",
    "items_ko.txt": "체력 물약\n마나 물약\n강화석\n",
}


class DemoError(Failure):
    pass


def _prepare_app(app_dir: Path, central_url: str) -> int:
    """Enroll the demo install and record sample runs (once); returns how many runs it has."""
    from engine.operations import OperationLog
    from engine.runtime import EngineRuntime
    from engine.settings import EngineSettings
    from replicator import link
    from replicator.errors import NotEnrolled

    runtime = EngineRuntime(EngineSettings(data_dir=app_dir, install_name="demo-pc"))
    try:
        try:
            link.load(runtime.db)
        except NotEnrolled:
            link.enroll(runtime.db, central_url, DEMO_USER, DEMO_PASSWORD, "demo-pc")
        operations = OperationLog(runtime.db)
        if not operations.recent(1):
            samples = app_dir / "samples"
            samples.mkdir(exist_ok=True)
            for name, text in SAMPLE_FILES.items():
                (samples / name).write_text(text, encoding="utf-8")
            # the last sample is missing, so the dashboard shows a failed run too
            for name in [*SAMPLE_FILES, "missing.txt"]:
                task = runtime.tasks.submit("text_stats", [samples / name], username=DEMO_USER)
                runtime.tasks.wait(task.id)
        return len(operations.recent(1000))
    finally:
        runtime.close("demo setup")


def _central_dir(data_dir: Path) -> Path:
    """Central's data dir inside the demo dir, unless the postgres user cannot reach it (a clone
    under /root, run as root): then a directory of its own under /var/lib/locanext."""
    from central.pgcluster import reachable_by_postgres

    wanted = data_dir / "central"
    if reachable_by_postgres(wanted / "pg"):
        return wanted
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:10]
    return Path("/var/lib/locanext") / f"demo-{digest}" / "central"


def run_demo(data_dir: Path, *, until_synced: bool, echo: Callable[[str], None]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    central_dir = _central_dir(data_dir)
    logs = data_dir / "logs"
    central_port, admin_port = free_port(), free_port()
    central_url = f"http://127.0.0.1:{central_port}"
    admin_url = f"http://127.0.0.1:{admin_port}"
    children: list[Child] = []
    try:
        echo("starting central (private PostgreSQL under the demo dir)...")
        central = Child(
            "central",
            ["central", "--data-dir", str(central_dir), "--port", str(central_port)],
            logs / "central.log",
            {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
        )
        children.append(central)
        central.wait_http(f"{central_url}/api/health", timeout=120)
        response = httpx.post(
            f"{central_url}/api/admin/users",
            json={
                "username": DEMO_USER,
                "password": DEMO_PASSWORD,
                "display_name": "Mina Park",
                "team": "Korean → English",
                "language": "en",
            },
            headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
        )
        if response.status_code not in (201, 409):
            raise DemoError(f"could not create the demo user: {response.text}")

        admin = Child(
            "admin",
            ["admin", "--data-dir", str(central_dir), "--port", str(admin_port)],
            logs / "admin.log",
        )
        children.append(admin)
        admin.wait_http(f"{admin_url}/api/operations")

        runs = _prepare_app(data_dir / "app", central_url)
        app = Child(
            "app",
            ["app", "--headless", "--data-dir", str(data_dir / "app")],
            logs / "app.log",
            {"LOCANEXT_APP_SYNC_INTERVAL": "2"},
        )
        children.append(app)
        synced = _wait_for_operations(admin_url, runs, timeout=60)
        app_url = app.launch_url()
        echo("")
        echo(f"  central         {central_url}/docs")
        echo(f"  admin          {admin_url}/        ({synced} operations in the mirror)")
        echo(f"  desktop app    {app_url}  (headless; the link opens once, in one browser)")
        echo(
            f"  logins         admin / {ADMIN_PASSWORD} (admin), "
            f"{DEMO_USER} / {DEMO_PASSWORD} (translator)"
        )
        echo(f"  data           {data_dir} (PostgreSQL in {central_dir / 'pg'})")
        echo(f"  logs           {logs}")
        echo("")
        if until_synced:
            return
        echo("Ctrl-C stops everything.")
        wait_for_signal()
    finally:
        for child in reversed(children):
            child.stop()


def _wait_for_operations(admin_url: str, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        try:
            seen = len(httpx.get(f"{admin_url}/api/operations", timeout=5).json())
        except httpx.HTTPError:
            seen = 0
        if seen >= expected:
            return seen
        time.sleep(0.5)
    raise DemoError(
        f"the admin dashboard shows {seen} of {expected} operations after {timeout:.0f} s"
    )
