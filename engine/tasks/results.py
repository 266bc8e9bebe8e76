"""Where each finished task's output files are, and its warnings: local to this PC.

The replicated operation row carries file names only. To open or download a result later, even
after a restart, the engine keeps the full paths in a small JSON-lines file in its data dir,
``task-results.jsonl`` (never in engine.db: paths are private to this PC and never replicated).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from engine.errors import EngineError

log = logging.getLogger(__name__)


class NoSuchOutput(EngineError):
    """A run has no output file at this index, or the file is gone."""

    status = 404
    code = "no_such_output"


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
        self, op_id: str, outputs: list[Path], warnings: list[str], summary: dict[str, Any]
    ) -> None:
        entry = {
            "id": op_id,
            "outputs": [str(p) for p in outputs],
            "warnings": warnings,
            "summary": summary,
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
        exists."""
        entry = self.get(op_id)
        if entry is None or not 0 <= index < len(entry["outputs"]):
            raise NoSuchOutput(f"run {op_id} has no output {index}")
        path = Path(entry["outputs"][index])
        if not path.exists():
            raise NoSuchOutput(f"{path.name} is gone (it was {path})")
        return path
