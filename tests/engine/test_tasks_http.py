"""The task API over real HTTP and a real WebSocket, against the engine served on 127.0.0.1."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from websockets.sync.client import connect

from engine import local_settings
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from tests import engine_api
from tests.waiting import wait_for

LINE = "시작하기 {0}개의 아이템을 얻었습니다 <PAOldColor> abcdefghij\n"
FINAL_STATES = ("succeeded", "failed", "cancelled", "interrupted")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[EngineRuntime, str]]:
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "app", username="mina"))
    try:
        yield runtime, runtime.serve(with_ui=False)
    finally:
        runtime.close()


@pytest.fixture
def api(engine: tuple[EngineRuntime, str]) -> Iterator[httpx.Client]:
    """A client with this launch's key (the engine refuses requests without it)."""
    runtime, _ = engine
    with engine_api.client(runtime.settings.data_dir) as client:
        yield client


def events_until_final(
    ws: Any,
    task_id: str,
    timeout: float = 60,
    on_event: Callable[[dict[str, Any]], None] = lambda event: None,
) -> list[dict[str, Any]]:
    """The task's states as the WebSocket reports them, up to its final one; ``on_event`` sees
    each as it arrives."""
    seen: list[dict[str, Any]] = []

    def receive() -> list[dict[str, Any]]:
        try:
            event = json.loads(ws.recv(timeout=0.5))
        except TimeoutError:
            return seen
        tasks = event["tasks"] if event["type"] == "snapshot" else [event["task"]]
        for task in tasks:
            if task["id"] == task_id:
                seen.append(task)
                on_event(task)
        return seen

    return wait_for(
        receive,
        until=lambda events: events and events[-1]["state"] in FINAL_STATES,
        timeout=timeout,
        what=f"task {task_id} to end",
        interval=0,
    )


class Pipes:
    """Input files that are named pipes: the tool can read pipe k only once the test has seen
    progress say it is on file k, so a run shows live progress however fast the machine is."""

    def __init__(self, folder: Path, name: str, count: int) -> None:
        self.paths = [folder / f"in{n}" / name for n in range(count)]
        for path in self.paths:
            path.parent.mkdir(parents=True)
            os.mkfifo(path)
        self.fed = 0

    def feed_reported(self, task: dict[str, Any]) -> None:
        if task["state"] != "running" or task["total"] != len(self.paths):
            return
        if task["done"] != self.fed:
            return
        path = self.paths[self.fed]
        fd = wait_for(
            lambda: _writer(path),
            until=lambda fd: fd is not None,
            timeout=30,
            what=f"the tool to open {path}",
        )
        os.set_blocking(fd, True)
        with os.fdopen(fd, "w", encoding="utf-8") as pipe:
            pipe.write(LINE * 1000)
        self.fed += 1


def _writer(path: Path) -> int | None:
    """A write end of the named pipe, or None while nobody has opened it for reading."""
    try:
        return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            return None
        raise


def final_elapsed(events: list[dict[str, Any]]) -> float:
    return float(events[-1]["elapsed"])


def test_progress_arrives_over_a_websocket_and_the_result_can_be_fetched(
    engine: tuple[EngineRuntime, str],
    api: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = engine
    pipes = Pipes(tmp_path / "inputs", "ui_ko.txt", 30)
    report = tmp_path / "out" / "report.tsv"
    ws_url = url.replace("http://", "ws://") + "/api/tasks/ws"
    with connect(ws_url, additional_headers={"Authorization": api.headers["Authorization"]}) as ws:
        assert json.loads(ws.recv(timeout=10)) == {"type": "snapshot", "tasks": []}
        started = api.post(
            f"{url}/api/tasks",
            json={
                "tool": "text_stats",
                "inputs": [str(p) for p in pipes.paths],
                "params": {"report": str(report)},
            },
        )
        assert started.status_code == 202, started.text
        task_id = started.json()["task_id"]
        assert started.json()["operation_id"] == task_id
        events = events_until_final(ws, task_id, on_event=pipes.feed_reported)

    running = [e for e in events if e["state"] == "running" and e["total"] == 30]
    assert len(running) >= 3, events  # live progress, not just start and end
    done = [e["done"] for e in running]
    assert done == sorted(done) and done[-1] > done[0]
    assert any(e["rate"] and e["eta"] is not None for e in running)
    # The worker reports at most ten times a second, however often the tool calls progress().
    assert len(running) <= 10 * final_elapsed(events) + 5
    assert all(e["step"] == "ui_ko.txt" for e in running)
    final = events[-1]
    assert final["state"] == "succeeded" and final["outputs"] == [str(report)]

    detail = api.get(f"{url}/api/tasks/{task_id}").json()
    assert detail["status"] == detail["state"] == "succeeded"
    assert detail["output_files"] == ["report.tsv"] and detail["rows_out"] == 30
    listing = api.get(
        f"{url}/api/tasks", params={"status": "succeeded", "tool": "text_stats", "text": "ui_ko"}
    ).json()
    assert listing["running"] == [] and [h["id"] for h in listing["history"]] == [task_id]
    assert listing["history"][0]["outputs"] == [str(report)]
    assert api.get(f"{url}/api/tasks", params={"status": "failed"}).json()["history"] == []
    download = api.get(f"{url}/api/tasks/{task_id}/outputs/0")
    assert download.status_code == 200 and download.content == report.read_bytes()
    assert "report.tsv" in download.headers["content-disposition"]
    missing = api.get(f"{url}/api/tasks/{task_id}/outputs/1")
    assert (missing.status_code, missing.json()["code"]) == (404, "no_such_output")
    for variable in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(variable, raising=False)
    headless = api.post(f"{url}/api/tasks/{task_id}/outputs/0/open", params={"folder": True})
    assert (headless.status_code, headless.json()["code"]) == (409, "cannot_open")
    assert "download the file instead" in headless.json()["detail"]


def test_refusals_and_failures_leave_the_engine_running(
    engine: tuple[EngineRuntime, str], api: httpx.Client, tmp_path: Path
) -> None:
    _, url = engine
    good = tmp_path / "good.txt"
    good.write_text("하나\n둘\n", encoding="utf-8")
    unknown = api.post(f"{url}/api/tasks", json={"tool": "nope", "inputs": [str(good)]})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_tool")
    assert "unknown tool 'nope'" in unknown.json()["detail"]
    bad = api.post(
        f"{url}/api/tasks",
        json={"tool": "text_stats", "inputs": [str(good)], "params": {"colour": "red"}},
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "bad_params")
    assert "colour" in bad.json()["detail"]
    for nothing in (
        api.post(f"{url}/api/tasks/no-such-task/cancel"),
        api.get(f"{url}/api/tasks/no-such-task"),
    ):
        assert (nothing.status_code, nothing.json()["code"]) == (404, "unknown_task")
    no_inputs = api.post(f"{url}/api/tasks", json={"tool": "text_stats", "inputs": []})
    assert (no_inputs.status_code, no_inputs.json()["code"]) == (422, "invalid_request")
    assert no_inputs.json()["detail"].startswith("body.inputs: ")

    failed = api.post(
        f"{url}/api/tools/text_stats/run", json={"inputs": [str(tmp_path / "missing.txt")]}
    ).json()
    assert failed["status"] == "failed" and "missing.txt: file not found" in failed["error"]
    row = api.get(f"{url}/api/tasks/{failed['operation_id']}").json()
    assert row["status"] == "failed" and row["error"] == failed["error"]
    assert api.get(f"{url}/api/health").json()["status"] == "ok"
    ok = api.post(f"{url}/api/tools/text_stats/run", json={"inputs": [str(good)]}).json()
    assert ok["status"] == "succeeded" and ok["summary"]["lines"] == 2


@pytest.mark.slow
def test_cancel_over_http_stops_the_worker(
    engine: tuple[EngineRuntime, str], api: httpx.Client, tmp_path: Path
) -> None:
    _, url = engine
    source = tmp_path / "big_ko.txt"
    source.write_text(LINE * 300_000, encoding="utf-8")
    report = tmp_path / "report.tsv"
    task_id = api.post(
        f"{url}/api/tasks",
        json={
            "tool": "text_stats",
            "inputs": [str(source)] * 500,
            "params": {"report": str(report)},
        },
    ).json()["task_id"]
    ws_url = url.replace("http://", "ws://") + f"/api/tasks/ws?task={task_id}"
    with connect(ws_url, additional_headers={"Authorization": api.headers["Authorization"]}) as ws:
        while True:
            event = json.loads(ws.recv(timeout=60))
            task = event["task"] if event["type"] == "task" else (event["tasks"] or [{}])[0]
            if task.get("done", 0) >= 2:
                break
        pid = task["pid"]
        cancelled = api.post(f"{url}/api/tasks/{task_id}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["cancel_requested"] is True
        final = events_until_final(ws, task_id, timeout=30)[-1]
    assert final["state"] == "cancelled"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert api.get(f"{url}/api/tasks/{task_id}").json()["status"] == "cancelled"
    assert not report.exists()


def test_runs_are_recorded_under_the_enrolled_user_once_linked(
    engine, api: httpx.Client, tmp_path: Path
) -> None:
    """Central takes an install's runs only under its enrolled user, and a link can be made while
    the app runs: a run after that is the enrolled user's, whatever the caller's request says."""
    runtime, url = engine
    source = tmp_path / "ui_ko.txt"
    source.write_text(LINE, encoding="utf-8")

    def run_as_someone_else() -> str:
        body = {"tool": "text_stats", "inputs": [str(source)], "username": "mallory"}
        task_id = api.post(f"{url}/api/tasks", json=body).json()["task_id"]
        runtime.tasks.wait(task_id, 60)
        [row] = [r for r in runtime.context.operations.recent(50) if r["id"] == task_id]
        return row["username"]

    assert run_as_someone_else() == "mina"  # not linked: the configured name
    with runtime.db.write() as conn:  # what `locanext enroll` writes, from another process
        local_settings.put(conn, "enrolled_user", "jun")
    assert run_as_someone_else() == "jun"
