"""`locanext bench app`: how long the desktop app takes from start to a usable page, offline.

Each run starts ``locanext app --headless --no-sync`` as a real process on a data dir of its own
and times until ``GET /`` answers 200 with the page (the app prints its URL when its server is
up; the clock runs from the spawn to the page's answer). The first run of a data dir also creates
engine.db (a first start); the others open it (every later morning). The baseline, timed in the
same way and the same run: a process that only imports the engine's runtime and HTTP app, without
NiceGUI, and exits, which no start of the app can beat. Runs alternate with baseline runs, so
load from other work on the machine falls on both.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shell.processes import command

TARGET_SECONDS = 1.5
BASELINE_CODE = "import engine.runtime, engine.app"
URL_PREFIX = "LocaNext app: "


@dataclass
class AppReport:
    first_start: float
    starts: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    page_bytes: int = 0

    @property
    def met(self) -> bool:
        return statistics.median(self.starts) < TARGET_SECONDS

    def lines(self) -> list[str]:
        median = statistics.median(self.starts)
        base = statistics.median(self.baseline)
        verdict = "met" if self.met else "NOT met"
        return [
            f"Desktop app, headless and offline: spawn to the first page (GET / -> 200, "
            f"{self.page_bytes:,} bytes), {len(self.starts)} starts on an existing engine.db.",
            f"{'start to a usable page (median)':<40} {median:6.2f} s   "
            f"(runs: {', '.join(f'{s:.2f}' for s in self.starts)})",
            f"{'first start (creates engine.db)':<40} {self.first_start:6.2f} s",
            f"{'baseline: import the engine, no NiceGUI':<40} {base:6.2f} s   "
            f"(runs: {', '.join(f'{s:.2f}' for s in self.baseline)})",
            f"{'start / baseline':<40} {median / base:6.2f} x",
            f"target < {TARGET_SECONDS:.1f} s: {verdict}",
        ]


def _environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["XDG_DATA_HOME"] = str(home / "share")
    return env


def time_start(data_dir: Path, env: dict[str, str], timeout: float = 60.0) -> tuple[float, int]:
    """Seconds from spawning the app to its first page's answer, and the page's size."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command("app", "--headless", "--data-dir", str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        launch = ""  # the one-time link a user opens: it lets the browser in, then shows "/"
        for line in proc.stdout:
            if line.startswith(URL_PREFIX):
                launch = line[len(URL_PREFIX) :].split()[0]
                break
        if not launch:
            raise RuntimeError(f"the app exited ({proc.wait()}) before printing its URL")
        deadline = started + timeout
        with httpx.Client(timeout=10.0, follow_redirects=True) as client:
            while True:
                try:
                    answer = client.get(launch)
                    if answer.status_code == 200 and "LocaNext" in answer.text:
                        return time.perf_counter() - started, len(answer.content)
                except httpx.TransportError:
                    pass
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"no page within {timeout:.0f} s")
                time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def time_baseline(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", BASELINE_CODE], env=env, check=True)
    return time.perf_counter() - started


def run(runs: int = 7) -> AppReport:
    folder = Path(tempfile.mkdtemp(prefix="locanext-bench-app-"))
    try:
        env = _environment(folder)
        data = folder / "app"
        time_baseline(env)  # warms the file cache for both sides alike
        first, size = time_start(data, env)
        report = AppReport(first_start=first, page_bytes=size)
        for _ in range(runs):
            report.baseline.append(time_baseline(env))
            report.starts.append(time_start(data, env)[0])
        return report
    finally:
        shutil.rmtree(folder, ignore_errors=True)
