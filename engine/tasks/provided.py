"""Inputs the engine provides to a run from engine.db, which the worker never opens.

A function that can work from shared data (today: Quick Search's ``term_check`` with the team
glossary) gets it as an ordinary file: before the task is queued, the engine exports the data
to a TSV under ``<data dir>/provided/`` and puts its path in the parameters; the worker reads it
like a file the user chose, and the file is removed when the task ends. The run's parameters keep
what was asked (game, language), and the replicated row the export's file name.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.db import Database
from engine.errors import EngineError
from engine.glossary import Glossary

log = logging.getLogger(__name__)

FOLDER = "provided"


class EmptyTeamGlossary(EngineError):
    """A run asked for the team glossary, and it has no term for that game and language."""

    status = 422
    code = "empty_team_glossary"


@dataclass(frozen=True)
class Provided:
    params: dict[str, Any]
    # Written for this run only; removed when it ends.
    files: tuple[Path, ...] = ()


Provider = Callable[[str, str, dict[str, Any]], Provided]


def nothing(tool: str, function: str, params: dict[str, Any]) -> Provided:
    """The provider of a task manager without engine.db (tests of the manager alone)."""
    return Provided(params)


def provider(db: Database, data_dir: Path) -> Provider:
    """What the runtime gives its task manager: the team glossary for ``term_check`` runs
    without a glossary file."""

    def provide(tool: str, function: str, params: dict[str, Any]) -> Provided:
        if (tool, function) != ("quick_search", "term_check") or params.get("glossary"):
            return Provided(params)
        game, language = params.get("game") or None, params.get("language") or None
        pairs = Glossary(db).pairs(game, language)
        if not pairs:
            wanted = " and ".join(
                f"{k} {v!r}" for k, v in (("game", game), ("language", language)) if v
            )
            raise EmptyTeamGlossary(
                "the team glossary has no terms"
                + (f" for {wanted}" if wanted else "")
                + "; add terms on the Glossary page or give a glossary file"
            )
        # Here, not at the top: reports import openpyxl, which the app's start does without.
        from engine.tools.reports import write_report

        path = data_dir / FOLDER / f"team-glossary-{uuid.uuid4().hex[:12]}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_report(path, ["term", "translation"], pairs)
        log.info("team glossary exported for a term check: %d terms", len(pairs))
        return Provided({**params, "glossary": str(path)}, (path,))

    return provide


def discard(files: tuple[Path, ...]) -> None:
    for path in files:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove the provided input %s", path.name)
