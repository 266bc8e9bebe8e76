"""`make demo`'s job, start to finish: central with a private PostgreSQL, the admin dashboard and
an enrolled desktop app whose sample runs reach the dashboard; everything stops afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from central.pgcluster import PrivateCluster
from locanext.demo import _central_dir
from locanext.demo_team import RUNS
from shell.processes import run as locanext

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_demo_runs_until_the_dashboard_shows_the_samples(tmp_path: Path) -> None:
    # tmp_path is private to root, so this also covers the fallback under /var/lib/locanext.
    data = tmp_path / "demo"
    central_dir = _central_dir(data)
    try:
        for attempt in ("first run", "second run reuses everything"):
            result = locanext("demo", "--until-synced", "--data-dir", str(data), timeout=300)
            assert result.returncode == 0, f"{attempt}: {result.stdout}\n{result.stderr}"
            runs = sum(len(r) for r in RUNS.values())  # both installs' sample runs
            assert f"({runs} operations in the mirror)" in result.stdout, attempt
            for what in ("central", "admin", "desktop app", "logins"):
                assert what in result.stdout
        assert PrivateCluster(central_dir / "pg").dsn() is None  # the cluster was stopped
    finally:
        if central_dir != data / "central":
            shutil.rmtree(central_dir.parent, ignore_errors=True)
