"""Child processes of `locanext` (used by the demo and the end-to-end tests): start one with its
output in a log file, wait for an HTTP endpoint, stop it politely and then firmly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx


def command(*args: str) -> list[str]:
    """The argv of a `locanext` command run by this Python (works without the console script)."""
    return [sys.executable, "-m", "locanext", *args]


def run(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run one `locanext` command to completion, capturing its output as text."""
    return subprocess.run(
        command(*args), input=stdin, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Child:
    def __init__(
        self, name: str, args: list[str], log_path: Path, env: dict[str, str] | None = None
    ):
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command(*args),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.process.returncode}; "
                    f"see {self.log_path}:\n" + self.tail()
                )
            try:
                if httpx.get(url, timeout=2.0).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.name} did not answer {url} within {timeout:.0f} s:\n{self.tail()}"
        )

    def wait_line(self, prefix: str, timeout: float = 60.0) -> str:
        """The first line of the child's output that starts with ``prefix``, once it is there."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} never printed {prefix!r}:\n{self.tail()}")

    def app_url(self, timeout: float = 60.0) -> str:
        """Base URL of a `locanext app` child, from the line it prints when ready."""
        parts = urlsplit(self.launch_url(timeout))
        return f"{parts.scheme}://{parts.netloc}"

    def launch_url(self, timeout: float = 60.0) -> str:
        """The URL a headless `locanext app` child prints: one browser may open it, once."""
        return self.wait_line("LocaNext app: ", timeout).split()[2]

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode
