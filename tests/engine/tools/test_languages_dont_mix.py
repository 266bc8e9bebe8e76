"""A Quick Search dictionary of one language, built from a folder holding catalogs of several,
keeps only that language: files declaring another are skipped with a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dictionaries import DictionaryStore, EmptyDictionary
from engine.tools.base import ToolCall
from engine.tools.quick_search import TOOL


def _po(path: Path, language: str, translation: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'msgid ""\nmsgstr ""\n'
        f'"Language: {language}\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "Open"\nmsgstr "{translation}"\n',
        encoding="utf-8",
    )
    return path


def _xliff(path: Path, language: str, translation: str) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
        f'<file source-language="en" target-language="{language}" datatype="plaintext" '
        'original="ui"><body>\n'
        f'<trans-unit id="close"><source>Close</source><target>{translation}</target>'
        "</trans-unit>\n</body></file></xliff>\n",
        encoding="utf-8",
    )
    return path


def _tmx(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en" '
        'segtype="sentence" datatype="plaintext" adminlang="en" creationtool="t" '
        'creationtoolversion="1" o-tmf="t"/><body>\n'
        '<tu tuid="save"><tuv xml:lang="en"><seg>Save</seg></tuv>'
        '<tuv xml:lang="de"><seg>Speichern</seg></tuv>'
        '<tuv xml:lang="fr-FR"><seg>Enregistrer</seg></tuv></tu>\n'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "catalogs"
    _po(root / "de" / "app.po", "de", "Öffnen")
    _po(root / "fr" / "app.po", "fr_FR", "Ouvrir")
    _po(root / "pt" / "app.po", "pt_BR", "Abrir")
    _xliff(root / "ui.de.xlf", "de-DE", "Schließen")
    _xliff(root / "ui.fr.xlf", "fr", "Fermer")
    _tmx(root / "memory.tmx")
    return root


def _build(data: Path, inputs: list[Path], **params: object):
    fn = TOOL.function("build_dictionary")
    assert fn is not None
    return fn.run(ToolCall(inputs, fn.params.model_validate(params), data))


def test_only_the_asked_language_goes_in(tmp_path: Path, folder: Path) -> None:
    data = tmp_path / "data"
    built = _build(data, [folder], game="G", language="fr")
    entries = DictionaryStore(data, "quick_search").load("G-fr")
    assert sorted((e.source, e.translation) for e in entries) == [
        ("Close", "Fermer"),
        ("Open", "Ouvrir"),
        ("Save", "Enregistrer"),
    ]
    assert built.warnings == [
        "skipped app.po: its translations are in 'de', not 'fr'",
        "skipped app.po: its translations are in 'pt_BR', not 'fr'",
        "skipped ui.de.xlf: its translations are in 'de-DE', not 'fr'",
    ]
    assert built.summary["declared_languages"] == ["fr_FR", "fr"]


def test_a_language_name_keeps_to_the_first_language_declared(tmp_path: Path, folder: Path) -> None:
    data = tmp_path / "data"
    built = _build(data, [folder], game="G", language="German")
    entries = DictionaryStore(data, "quick_search").load("G-German")
    assert sorted(e.translation for e in entries) == ["Schließen", "Speichern", "Öffnen"]
    assert len(built.warnings) == 3


def test_no_file_of_the_language_builds_nothing(tmp_path: Path, folder: Path) -> None:
    with pytest.raises(EmptyDictionary):
        _build(tmp_path / "data", [folder / "de", folder / "pt"], game="G", language="ja")


def test_search_shows_every_translation_of_a_repeated_source(tmp_path: Path) -> None:
    catalog = tmp_path / "ko.po"
    catalog.write_text(
        'msgid ""\nmsgstr ""\n"Language: ko\\n"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "열기"\n\n'
        'msgctxt "door state"\nmsgid "Open"\nmsgstr "열림"\n\n'
        'msgid "Open"\nmsgstr "열린"\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    _build(data, [catalog], game="G", language="ko")
    fn = TOOL.function("search")
    assert fn is not None
    params = {"dictionary": "G-ko", "query": "Open", "mode": "exact", "fields": ["source"]}
    found = fn.run(ToolCall([], fn.params.model_validate(params), data))
    assert [(r["string_id"], r["translation"]) for r in found.summary["results"]] == [
        ("menu|Open", "열기"),
        ("door state|Open", "열림"),
        ("Open", "열린"),
    ]
