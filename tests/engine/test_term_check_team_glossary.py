"""Quick Search's term check against the team glossary: the engine exports the glossary_terms of a
game and language to a file for the worker (which never opens engine.db), and removes it after."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.glossary import Glossary
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from engine.tasks.provided import FOLDER, EmptyTeamGlossary
from engine.tools.reports import read_report


def _xml(path: Path, *rows: tuple[str, str, str]) -> Path:
    body = "".join(f'<LocStr StringId="{i}" StrOrigin="{s}" Str="{t}"/>\n' for i, s, t in rows)
    path.write_text(f"<LanguageData>\n{body}</LanguageData>\n", encoding="utf-8")
    return path


def test_term_check_uses_the_team_glossary_of_one_game_and_language(tmp_path: Path) -> None:
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "data"), task_workers=1)
    try:
        glossary = Glossary(runtime.db)
        for source, translation, game, language in [
            ("검", "sword", "dragon", "en"),
            ("방패", "shield", "", "en"),  # the team's for every game
            ("마법", "magic", "island", "en"),  # another game: not checked
            ("검", "épée", "dragon", "fr"),  # another language: not checked
        ]:
            glossary.add(
                {"source": source, "translation": translation, "game": game, "language": language}
            )
        strings = _xml(
            tmp_path / "dragon_en.xml",
            ("a", "검을 들어라", "Raise the blade"),
            ("b", "방패", "Guard"),
            ("c", "마법", "Spell"),
            ("d", "검과 방패", "Sword and shield"),
        )
        report = tmp_path / "terms.tsv"
        task = runtime.tasks.submit(
            "quick_search",
            [strings],
            {"game": "dragon", "language": "en", "report": str(report)},
            username="mina",
            function="term_check",
        )
        done = runtime.tasks.wait(task.id, timeout=120)
        assert done.state == "succeeded", done.error
        assert read_report(report)[1:] == [
            ["a", "검을 들어라", "Raise the blade", "검", "sword"],
            ["b", "방패", "Guard", "방패", "shield"],
        ]
        assert done.summary == {"terms": 2, "problems": 2}
        row = runtime.tasks.operations.get(task.id)
        recorded = json.loads(row["parameters"])
        assert (recorded["game"], recorded["language"]) == ("dragon", "en")
        assert recorded["glossary"].startswith("team-glossary-")  # a file name, never a path
        assert list((tmp_path / "data" / FOLDER).iterdir()) == []  # removed after the run

        with pytest.raises(EmptyTeamGlossary, match="game 'nowhere'"):
            runtime.tasks.submit(
                "quick_search",
                [strings],
                {"game": "nowhere", "language": "de"},
                username="mina",
                function="term_check",
            )
        assert len(runtime.tasks.operations.recent(10)) == 1  # the refusal recorded nothing
    finally:
        runtime.close()
