"""Central and three desktop apps as separate processes, a fault-injecting TCP proxy between each
app's replicator and central (refused connections, delays, resets in the middle of a request
body, truncated responses), and SIGKILLs of central and of the apps at random moments. Rounds go
on until at least 20 kills and 10 injected faults have happened, however fast the machine. At the
end the mirror holds every operation of every install exactly once, and every install has the
users central created meanwhile."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from central.admin_client import session_headers
from central.db import normalize_dsn
from engine.db import Database
from replicator import link
from shell.processes import Child, free_port
from tests import engine_api
from tests.e2e.faultproxy import FaultProxy
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_PASSWORD = "fault-admin-password"
APPS = ("pc-a", "pc-b", "pc-c")
KILLS, FAULTS = 20, 10  # what the rounds must reach before the network heals
ROUNDS_DEADLINE_S = 900  # bounds a hang only: the counts decide when the rounds end


class Cluster:
    """The processes of the test, restartable after a SIGKILL."""

    def __init__(self, tmp: Path, pg_dsn: str) -> None:
        self.tmp, self.pg_dsn = tmp, pg_dsn
        self.central_port = free_port()
        self.central_url = f"http://127.0.0.1:{self.central_port}"
        self.children: dict[str, Child] = {}
        self.urls: dict[str, str] = {}
        self.kills = 0
        self.starts = 0

    def start_central(self) -> None:
        self.starts += 1
        child = Child(
            "central",
            ["central", "--dsn", self.pg_dsn, "--port", str(self.central_port)],
            self.tmp / f"central-{self.starts}.log",
            {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
        )
        self.children["central"] = child
        child.wait_http(f"{self.central_url}/api/health")

    def start_app(self, name: str) -> None:
        self.starts += 1
        child = Child(
            name,
            ["app", "--headless", "--data-dir", str(self.tmp / name)],
            self.tmp / f"{name}-{self.starts}.log",
            {"LOCANEXT_APP_SYNC_INTERVAL": "0.5", "LOCANEXT_APP_INSTALL_NAME": name},
        )
        self.children[name] = child
        self.urls[name] = child.app_url()

    def kill(self, name: str) -> None:
        child = self.children.pop(name)
        child.process.send_signal(signal.SIGKILL)
        child.process.wait()
        child.stop()
        self.kills += 1

    def alive(self, name: str) -> bool:
        return name in self.children

    def stop(self) -> None:
        for child in self.children.values():
            child.stop()


def _enroll_through(tmp: Path, central_url: str, proxy_url: str, name: str) -> None:
    """Enroll directly, then point the install at its proxy for everything after."""
    db = Database(tmp / name / "engine.db")
    try:
        link.enroll(db, central_url, "mina", "mina-password", name)
        with db.write() as conn:
            conn.execute("UPDATE settings SET value = ? WHERE key = 'central_url'", (proxy_url,))
    finally:
        db.close()


def _run_tool(url: str, data: Path, sample: Path) -> str | None:
    try:
        r = httpx.post(
            f"{url}/api/tools/text_stats/run",
            json={"inputs": [str(sample)]},
            headers=engine_api.auth_headers(data),
            timeout=60,
        )
    except httpx.TransportError:
        return None
    return r.json()["operation_id"] if r.status_code == 200 else None


def _caught_up(url: str, data: Path, users: set[str]) -> bool:
    """The install has every user central created and nothing left to push."""
    names = {u["username"] for u in engine_api.get(data, f"{url}/api/users").json()}
    return names >= users and engine_api.get(data, f"{url}/api/sync").json()["pending_changes"] == 0


def test_faults_and_sigkills_lose_and_duplicate_nothing(tmp_path: Path, pg_dsn: str) -> None:
    rng = random.Random(20261125)
    cluster = Cluster(tmp_path, pg_dsn)
    proxies = {name: FaultProxy(0, seed=rng.randrange(2**32)) for name in APPS}
    sample = tmp_path / "strings.txt"
    sample.write_text("시작하기\n설정\n", encoding="utf-8")
    try:
        cluster.start_central()
        admin = session_headers(cluster.central_url, "admin", ADMIN_PASSWORD)
        r = httpx.post(
            f"{cluster.central_url}/api/admin/users",
            json={"username": "mina", "password": "mina-password"},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        for name, proxy in proxies.items():
            proxy.target_port = cluster.central_port
            _enroll_through(tmp_path, cluster.central_url, proxy.start(), name)
            cluster.start_app(name)

        users = {"admin", "mina"}
        deadline = time.monotonic() + ROUNDS_DEADLINE_S
        round_ = 0
        while cluster.kills < KILLS or sum(p.injected for p in proxies.values()) < FAULTS:
            assert time.monotonic() < deadline, (
                f"{cluster.kills} kills and {sum(p.injected for p in proxies.values())} faults"
                f" after {ROUNDS_DEADLINE_S} s of rounds"
            )
            for name in APPS:  # some work on every live install
                if cluster.alive(name):
                    _run_tool(cluster.urls[name], cluster.tmp / name, sample)
            if round_ % 3 == 0 and cluster.alive("central"):  # an admin adds a user meanwhile
                user = f"user{round_}"
                created = httpx.post(
                    f"{cluster.central_url}/api/admin/users",
                    json={"username": user, "password": "a-long-password"},
                    headers=admin,
                    timeout=30,
                )
                assert created.status_code == 201, created.text
                users.add(user)
            time.sleep(rng.uniform(0.0, 1.0))  # let syncs get under way, then kill one
            victim = rng.choice(["central", *APPS])
            if cluster.alive(victim):
                cluster.kill(victim)
            for name in ["central", *APPS]:  # restart whatever is down, usually at once
                if not cluster.alive(name) and rng.random() < 0.7:
                    if name == "central":
                        cluster.start_central()
                    else:
                        cluster.start_app(name)
            round_ += 1

        # Heal: everything up, the network clean; wait until everyone has everything.
        for proxy in proxies.values():
            proxy.faulty = False
        if not cluster.alive("central"):
            cluster.start_central()
        for name in APPS:
            if not cluster.alive(name):
                cluster.start_app(name)
        recorded = {
            name: {
                o["id"]
                for o in engine_api.get(
                    cluster.tmp / name, f"{cluster.urls[name]}/api/operations?limit=1000"
                ).json()
            }
            for name in APPS
        }
        everything = set().union(*recorded.values())
        engine = create_engine(normalize_dsn(pg_dsn), poolclass=NullPool)

        def lagging() -> dict[str, object]:
            with engine.connect() as conn:
                mirrored = set(conn.execute(text("SELECT id FROM operations")).scalars())
            behind = [n for n in APPS if not _caught_up(cluster.urls[n], cluster.tmp / n, users)]
            return {"operations missing": len(everything - mirrored), "installs behind": behind}

        wait_for(
            lagging,
            until=lambda seen: not any(seen.values()),
            timeout=120,
            what="the installs to catch up after healing",
            interval=0.5,
        )
        with engine.connect() as conn:
            mirrored = conn.execute(text("SELECT id FROM operations")).scalars().all()
            parked = conn.execute(text("SELECT count(*) FROM parked_changes")).scalar_one()
        engine.dispose()
        assert len(mirrored) == len(set(mirrored)) == len(everything)  # each exactly once
        assert set(mirrored) == everything
        assert parked == 0
    finally:
        cluster.stop()
        for proxy in proxies.values():
            proxy.stop()
