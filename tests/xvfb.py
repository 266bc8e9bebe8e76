"""A private Xvfb for window tests (the fixture is in tests/shell/conftest.py)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from tests.waiting import WaitTimeout, wait_for

SCREEN_W, SCREEN_H = 1280, 800
XVFB_START_TIMEOUT_S = 10


# --- Xvfb ------------------------------------------------------------------------------------


def x_socket(number: int) -> Path:
    return Path(f"/tmp/.X11-unix/X{number}")


def x_ready(number: int) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(x_socket(number)))
        except OSError:
            return False
    return True


@contextmanager
def xvfb(log_dir: Path) -> Iterator[str]:
    """A private Xvfb on the first free display in :90..:99; yields its DISPLAY value."""
    errors = []
    for number in range(90, 100):
        if x_socket(number).exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        # A file, not a pipe: nobody reads Xvfb's output while it runs; a full pipe would stall it.
        log = log_dir / f"xvfb-{number}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    "Xvfb",
                    f":{number}",
                    "-screen",
                    "0",
                    f"{SCREEN_W}x{SCREEN_H}x24",
                    "-nolisten",
                    "tcp",
                ],
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        with suppress(WaitTimeout):  # a timeout is handled below like an exit
            wait_for(
                lambda: proc.poll() is not None or x_ready(number),  # noqa: B023 - used at once
                timeout=XVFB_START_TIMEOUT_S,
                what=f"Xvfb to listen on :{number} or exit",
            )
        if proc.poll() is None and x_ready(number):
            try:
                yield f":{number}"
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            return
        # Lost a race for this display number (or Xvfb is broken): try the next one.
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        errors.append(f":{number}: {log.read_text(errors='replace').strip()[-500:]}")
    raise RuntimeError("could not start Xvfb on :90..:99\n" + "\n".join(errors))
