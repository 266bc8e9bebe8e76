"""`locanext demo`: central with a private PostgreSQL, the admin console and a desktop app
enrolled against it, each in its own process, with a team's worth of content
(:mod:`locanext.demo_team`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from central.admin_client import session_headers
from engine import __version__
from locanext import demo_team
from locanext.failures import Failure
from shell.desktop import wait_for_signal
from shell.processes import Child, free_port

ADMIN_PASSWORD = "locanext-admin"
DEMO_MEMBER = demo_team.MINA
DEMO_USER, DEMO_PASSWORD = DEMO_MEMBER.username, DEMO_MEMBER.password


class DemoError(Failure):
    pass


def _prepare_install(
    app_dir: Path, central_url: str, member: demo_team.Member, name: str, sync: bool
) -> int:
    """Enroll an install of the demo team and record its sample runs and its offline glossary
    edit (once; with ``sync``, sent at once). Returns how many runs it has."""
    from engine.operations import OperationLog
    from engine.runtime import EngineRuntime
    from engine.settings import EngineSettings
    from replicator import link
    from replicator.errors import NotEnrolled
    from replicator.loop import sync_once

    runtime = EngineRuntime(EngineSettings(data_dir=app_dir, install_name=name))
    try:
        try:
            link.load(runtime.db)
        except NotEnrolled:
            link.enroll(runtime.db, central_url, member.username, member.password, name)
        operations = OperationLog(runtime.db)
        if not operations.recent(1):
            demo_team.write_samples(app_dir / "samples")
            demo_team.record_runs(runtime, member, app_dir / "samples")
            # the same term translated on two installs before either synced: a conflict
            demo_team.translate_offline(runtime, "Sword" if member is DEMO_MEMBER else "Blade")
            if sync:  # a later demo's central has another port: this install keeps the first
                sync_once(runtime.db)
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
        demo_team.create_users(central_url, "admin", ADMIN_PASSWORD)
        major, minor, *_ = __version__.split(".")
        demo_team.publish(central_url, "admin", ADMIN_PASSWORD, f"{major}.{int(minor) + 1}.0")

        admin = Child(
            "admin",
            [
                "admin",
                *("--data-dir", str(central_dir), "--port", str(admin_port)),
                *("--central", central_url),
            ],
            logs / "admin.log",
        )
        children.append(admin)
        admin.wait_http(f"{admin_url}/api/health")

        runs = _prepare_install(
            data_dir / "tokyo-pc", central_url, demo_team.JUN, "tokyo-pc", sync=True
        )
        runs += _prepare_install(data_dir / "app", central_url, DEMO_MEMBER, "demo-pc", sync=False)
        app = Child(
            "app",
            ["app", "--headless", "--data-dir", str(data_dir / "app")],
            logs / "app.log",
            {"LOCANEXT_APP_SYNC_INTERVAL": "2", "LOCANEXT_APP_INSTALL_NAME": "demo-pc"},
        )
        children.append(app)
        staff = session_headers(central_url, "admin", ADMIN_PASSWORD)
        synced = _wait_for_operations(admin_url, staff, runs, timeout=60)
        app_url = app.launch_url()
        echo("")
        echo(f"  central         {central_url}/docs")
        echo(f"  admin          {admin_url}/        ({synced} operations in the mirror)")
        echo(f"  desktop app    {app_url}  (headless; the link opens once, in one browser)")
        lead = demo_team.HANA
        echo(
            f"  logins         admin / {ADMIN_PASSWORD} (admin), {lead.username} /"
            f" {lead.password} (lead), {DEMO_USER} / {DEMO_PASSWORD} (translator)"
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


def _wait_for_operations(
    admin_url: str, staff: dict[str, str], expected: int, timeout: float
) -> int:
    """Until the console (asked with an administrator's session) lists ``expected`` runs."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        try:
            listed = httpx.get(
                f"{admin_url}/api/operations", params={"size": 500}, headers=staff, timeout=5
            )
            seen = len(listed.json()["rows"])
        except (httpx.HTTPError, ValueError, KeyError):
            seen = 0
        if seen >= expected:
            return seen
        time.sleep(0.5)
    raise DemoError(
        f"the admin dashboard shows {seen} of {expected} operations after {timeout:.0f} s"
    )
