"""The app process is killed (SIGKILL) while a task runs: its worker and the spare worker stop on
their own, the run leaves no output, and after a restart it shows as interrupted."""

from __future__ import annotations

import signal
from pathlib import Path

import psutil
import pytest

from engine.operations import OperationLog
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from shell.processes import Child
from tests import engine_api
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LINE = "<PAColor0xffe9bd23>전설의 검<PAOldColor>을 찾아라 abcdefghij\n"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_run_cut_off_by_a_killed_app_is_interrupted_after_restart(tmp_path: Path) -> None:
    source = tmp_path / "big_ko.txt"
    source.write_text(LINE * 300_000, encoding="utf-8")
    report = tmp_path / "out" / "report.tsv"
    data = tmp_path / "app"
    app = Child(
        "app", ["app", "--headless", "--no-sync", "--data-dir", str(data)], tmp_path / "a.log"
    )
    try:
        url = app.app_url()
        with engine_api.client(data) as api:
            task_id = api.post(
                f"{url}/api/tasks",
                json={
                    "tool": "text_stats",
                    "inputs": [str(source)] * 500,
                    "params": {"report": str(report)},
                },
            ).json()["task_id"]
            task = wait_for(
                lambda: api.get(f"{url}/api/tasks/{task_id}").json(),
                until=lambda seen: seen["done"] >= 2,
                timeout=60,
                what="two files counted",
                interval=0.1,
            )
        assert task["state"] == "running" and _alive(task["pid"])
        # The spare worker the app starts after its warm-up, waiting beside the running one.
        workers = wait_for(
            lambda: [p.pid for p in psutil.Process(app.process.pid).children() if _alive(p.pid)],
            until=lambda pids: len(pids) >= 2,
            timeout=60,
            what="the running worker and a spare",
        )
        app.process.send_signal(signal.SIGKILL)
        app.process.wait(10)
    finally:
        app.stop()

    # The orphaned worker notices and stops instead of finishing a run nobody records.
    wait_for(lambda: not _alive(task["pid"]), timeout=15, what="the orphaned worker to exit")
    # So does the spare, which only waited for an order.
    wait_for(
        lambda: not any(map(_alive, workers)), timeout=15, what="every orphaned worker to exit"
    )
    assert not report.exists() and not list(report.parent.glob(".report.tsv.*"))

    runtime = EngineRuntime(EngineSettings(data_dir=data))
    try:
        row = OperationLog(runtime.db).get(task_id)
    finally:
        runtime.close()
    assert row is not None and row["status"] == "interrupted"
    assert row["error"] == "the app stopped while this run was in progress"
