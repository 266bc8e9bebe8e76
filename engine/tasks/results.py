"""Where each finished task's output files are, and its warnings: local to this PC.

The replicated operation row carries file names only. To open or download a result later, even
after a restart, the engine keeps the full paths in a small JSON-lines file in its data dir,
``task-results.jsonl`` (never in engine.db: paths are private to this PC and never replicated).

With each path it keeps the file's identity (device and inode) at the end of the task: a result
is served only while it is still that very file, so a symbolic link or another file put in its
place afterwards (by a later run, or by someone with write access to the folder) is refused.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from engine.errors import EngineError

log = logging.getLogger(__name__)


class NoSuchOutput(EngineError):
    """A run has no output file at this index, or the file is gone."""

    status = 404
    code = "no_such_output"


class OutputReplaced(EngineError):
    """The path now holds something other than the file the run wrote (a link, another file)."""

    status = 409
    code = "output_replaced"


FILE_NAME = "task-results.jsonl"
# When the file holds more entries than this, it is rewritten with the newest half.
MAX_ENTRIES = 2000
RELOAD_SECONDS = 2.0


class ResultStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] | None = None
        self._loaded_at = 0.0

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._entries is not None:
            return self._entries
        entries: dict[str, dict[str, Any]] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for number, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                entries[entry["id"]] = entry
            except (ValueError, KeyError, TypeError):
                log.warning("%s line %d is not a result entry; skipped", self.path.name, number)
        self._entries = entries
        self._loaded_at = time.monotonic()
        return entries

    def record(
        self,
        op_id: str,
        outputs: list[Path],
        warnings: list[str],
        summary: dict[str, Any],
        *,
        inputs: list[Path] | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        """Keep a finished run's outputs, warnings and summary; with its inputs and parameters
        (full paths), so the run can be repeated (a dictionary rebuilt)."""
        entry = {
            "id": op_id,
            "outputs": [str(p) for p in outputs],
            "identities": [_identity(p) for p in outputs],
            "warnings": warnings,
            "summary": summary,
            "inputs": [str(p) for p in inputs or []],
            "params": params or {},
        }
        with self._lock:
            entries = self._load()
            entries[op_id] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if len(entries) > MAX_ENTRIES:
                self._rewrite(entries)
                return
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")

    def _rewrite(self, entries: dict[str, dict[str, Any]]) -> None:
        kept = list(entries.items())[-MAX_ENTRIES // 2 :]
        entries.clear()
        entries.update(kept)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        with tmp.open("w", encoding="utf-8") as out:
            for _, entry in kept:
                out.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")
        os.replace(tmp, self.path)

    def get(self, op_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._load().get(op_id)
            # Perhaps written by `locanext tool` in another process: look again, now and then.
            if entry is None and time.monotonic() - self._loaded_at > RELOAD_SECONDS:
                self._entries = None
                entry = self._load().get(op_id)
            return entry

    def output(self, op_id: str, index: int) -> Path:
        """The ``index``-th output of a run; raises NoSuchOutput unless it was recorded and still
        exists, OutputReplaced unless it is still the file the run wrote."""
        path, recorded = self._recorded(op_id, index)
        try:
            found = os.lstat(path)
        except FileNotFoundError:
            raise NoSuchOutput(f"{path.name} is gone (it was {path})") from None
        _check_same(path, found, recorded)
        return path

    def open_output(self, op_id: str, index: int) -> tuple[BinaryIO, Path]:
        """The ``index``-th output opened for reading, checked on the open file itself (a link
        in its place is not followed; a file swapped in between check and open is caught)."""
        path, recorded = self._recorded(op_id, index)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            raise NoSuchOutput(f"{path.name} is gone (it was {path})") from None
        except OSError as exc:  # ELOOP: a symbolic link stands where the file was
            raise OutputReplaced(f"{path.name} is no longer the file the run wrote") from exc
        try:
            _check_same(path, os.fstat(fd), recorded)
        except BaseException:
            os.close(fd)
            raise
        return os.fdopen(fd, "rb"), path

    def _recorded(self, op_id: str, index: int) -> tuple[Path, list[int] | None | bool]:
        """The path, and its identity: [dev, ino], None (not a file at the end of the run) or
        False (an entry from before identities were kept)."""
        entry = self.get(op_id)
        if entry is None or not 0 <= index < len(entry["outputs"]):
            raise NoSuchOutput(f"run {op_id} has no output {index}")
        identities = entry.get("identities")
        recorded = identities[index] if isinstance(identities, list) else False
        return Path(entry["outputs"][index]), recorded


def _identity(path: Path) -> list[int] | None:
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return [found.st_dev, found.st_ino] if stat.S_ISREG(found.st_mode) else None


def _check_same(path: Path, found: os.stat_result, recorded: list[int] | None | bool) -> None:
    same = stat.S_ISREG(found.st_mode) and (
        recorded is False or recorded == [found.st_dev, found.st_ino]
    )
    if not same:
        raise OutputReplaced(
            f"{path.name} has been replaced since the run wrote it (by a later run or by "
            "someone else); it is not served"
        )
