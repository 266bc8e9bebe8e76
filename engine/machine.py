"""This PC's nonce for engine.db: how central tells a copy of an install on another PC (or a
cloned VM) from the install itself.

The nonce is random, made the first time an engine.db's link is used on a machine, and kept in
``<data dir>/secrets/machine-nonces`` keyed by the machine's id (``/etc/machine-id``, Windows'
MachineGuid, macOS' IOPlatformUUID, else the network card's address). Copying the data folder to
another PC copies the file, but that PC's id finds no nonce there, so it makes its own: central,
which bound the first nonce at enrollment, answers the copy with ``copied_database``.
``LOCANEXT_APP_MACHINE_ID`` names the machine instead (cloned VMs share an id; tests play two PCs
on one host).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

from engine.private_files import write_private

MACHINE_ID_VARIABLE = "LOCANEXT_APP_MACHINE_ID"
_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))


def machine_id() -> str:
    """A stable id of this PC (hashed: the raw id is not ours to send around)."""
    raw = os.environ.get(MACHINE_ID_VARIABLE) or _system_id()
    return hashlib.sha256(f"locanext:{raw}".encode()).hexdigest()[:32]


def _system_id() -> str:
    for path in _ID_FILES:
        try:
            found = path.read_text(encoding="ascii").strip()
        except OSError:
            continue
        if found:
            return found
    if sys.platform == "win32":
        import winreg

        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
            return str(winreg.QueryValueEx(key, "MachineGuid")[0])
    if sys.platform == "darwin":
        out = subprocess.run(  # noqa: S603 - a fixed system tool
            ["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for line in out.splitlines():
            if "IOPlatformUUID" in line:
                return line.split('"')[-2]
    return f"node-{uuid.getnode():012x}"


def nonces_file(data_dir: Path) -> Path:
    return data_dir / "secrets" / "machine-nonces"


def nonce(data_dir: Path) -> str:
    """This machine's nonce for the engine.db in ``data_dir``, made on first use."""
    path = nonces_file(data_dir)
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not isinstance(known, dict):
        known = {}
    here = machine_id()
    found = known.get(here)
    if isinstance(found, str) and found:
        return found
    known[here] = secrets.token_hex(16)
    write_private(path, json.dumps(known, indent=1, sort_keys=True))
    return str(known[here])


def forget(data_dir: Path) -> None:
    """Drop every nonce (the install re-keyed: its new identity starts with fresh ones)."""
    nonces_file(data_dir).unlink(missing_ok=True)
