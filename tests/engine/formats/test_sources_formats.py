"""PO, XLIFF and TMX readers: what becomes id, source and translation, and how bad files fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.formats import Entry, FormatError, po, tmx, xliff

PO_HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset={charset}\\n"\n\n'


def _error(read, path: Path) -> str:
    with pytest.raises(FormatError) as caught:
        list(read(path))
    return str(caught.value)


def test_po_entries(tmp_path: Path) -> None:
    path = tmp_path / "game.po"
    path.write_text(
        PO_HEADER.format(charset="UTF-8")
        + 'msgctxt "menu"\nmsgid "열기"\nmsgstr "Open"\n\n'
        + 'msgid "검"\nmsgstr ""\n"Sw"\n"ord"\n\n'
        + '#, fuzzy\nmsgid "방패"\nmsgstr "Shield?"\n\n'
        + 'msgid "{0}개"\nmsgid_plural "{0}개들"\nmsgstr[0] "{0} item"\nmsgstr[1] "{0} items"\n\n'
        + '#~ msgid "옛날"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )
    assert list(po.read(path)) == [
        Entry("menu|열기", "열기", "Open"),
        Entry("검", "검", "Sword"),
        Entry("방패", "방패", ""),
        Entry("{0}개", "{0}개", "{0} item"),
        Entry("{0}개|plural", "{0}개들", "{0} items"),
    ]


def test_po_in_a_declared_legacy_charset(tmp_path: Path) -> None:
    path = tmp_path / "legacy.po"
    path.write_bytes(
        (PO_HEADER.format(charset="EUC-KR") + 'msgid "검"\nmsgstr "Sword"\n').encode("euc-kr")
    )
    assert list(po.read(path)) == [Entry("검", "검", "Sword")]


def test_po_bad_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "mixed.po"
    path.write_bytes(
        PO_HEADER.format(charset="UTF-8").encode()
        + 'msgid "검"\nmsgstr "Sword"\n\n'.encode()
        + 'msgid "방패"\nmsgstr "Shield"\n'.encode("cp949")
    )
    assert _error(po.read, path) == "mixed.po: line 8: bytes that are not UTF-8 (byte 99)"


def test_po_empty_and_broken(tmp_path: Path) -> None:
    empty = tmp_path / "empty.po"
    empty.write_bytes(b"\n")
    assert _error(po.read, empty) == "empty.po: file is empty"
    broken = tmp_path / "broken.po"
    broken.write_text('msgid "a"\nmsgstr "b"\n\nmsgid "c" "d\nmsgstr "e"\n', encoding="utf-8")
    assert _error(po.read, broken) == (
        "broken.po: line 4: string not closed on its line (missing '\"')"
    )


def test_xliff_12_units_with_inline_codes(tmp_path: Path) -> None:
    path = tmp_path / "a.xlf"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">\n'
        '<file source-language="ko" target-language="en" datatype="plaintext" original="x">'
        "<body><group>\n"
        '<trans-unit id="t1"><source>검 <ph id="1">{0}</ph><x id="2"/></source>'
        '<target>Sword <ph id="1">{0}</ph></target>'
        "<alt-trans><source>다른</source><target>Other</target></alt-trans></trans-unit>\n"
        '<trans-unit id="t2"><source>방패 <g id="3">강화</g></source></trans-unit>\n'
        "</group></body></file></xliff>\n",
        encoding="utf-8",
    )
    assert list(xliff.read(path)) == [
        Entry("t1", "검 {0}", "Sword {0}"),
        Entry("t2", "방패 강화", ""),
    ]


def test_xliff_20_segments_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "b.xliff"
    path.write_text(
        '<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="ko" '
        'trgLang="en"><file id="f1"><unit id="u1">'
        "<segment><source>첫째.</source><target>First.</target></segment>"
        "<ignorable><source> </source><target> </target></ignorable>"
        "<segment><source>둘째.</source><target>Second.</target></segment>"
        "</unit></file></xliff>",
        encoding="utf-8",
    )
    assert list(xliff.read(path)) == [Entry("u1", "첫째. 둘째.", "First. Second.")]


def test_xliff_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "noid.xlf"
    path.write_text(
        '<xliff version="1.2">\n<file><body>\n<trans-unit><source>a</source></trans-unit>\n'
        "</body></file></xliff>",
        encoding="utf-8",
    )
    assert _error(xliff.read, path) == "noid.xlf: line 3: trans-unit without an id attribute"
    path.write_text(
        '<xliff version="1.2">\n<file><body>\n<trans-unit id="x">\n<target>a</target>'
        "</trans-unit></body></file></xliff>",
        encoding="utf-8",
    )
    assert _error(xliff.read, path) == "noid.xlf: line 3: unit 'x' has no <source>"


def test_xliff_with_a_dtd_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dtd.xlf"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa">]>\n'
        '<xliff version="1.2"><file><body><trans-unit id="1"><source>&a;</source>'
        "</trans-unit></body></file></xliff>",
        encoding="utf-8",
    )
    assert _error(xliff.read, path).startswith(
        "dtd.xlf: line 2: DTD and entity declarations are not allowed"
    )


TMX = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="ko-KR" '
    'segtype="sentence"/><body>\n'
    '<tu tuid="1"><tuv xml:lang="ko-KR"><seg>검</seg></tuv><tuv xml:lang="en-US"><seg>Sword</seg>'
    '</tuv><tuv xml:lang="fr-FR"><seg>Épée</seg></tuv></tu>\n'
    '<tu><tuv xml:lang="KO-kr"><seg>방패 <ph x="1">{0}</ph></seg></tuv>'
    '<tuv xml:lang="fr-FR"><seg>Bouclier <ph x="1">{0}</ph></seg></tuv></tu>\n'
    '<tu tuid="3"><tuv xml:lang="en-US"><seg>Bow only</seg></tuv></tu>\n'
    '<tu tuid="4"><tuv lang="ko-KR"><seg>활</seg></tuv>'
    '<tuv lang="en-US"><seg>Bow</seg></tuv></tu>\n'
    "</body></tmx>\n"
)


def test_tmx_default_languages(tmp_path: Path) -> None:
    path = tmp_path / "memory.tmx"
    path.write_text(TMX, encoding="utf-8")
    assert list(tmx.read(path)) == [
        Entry("1", "검", "Sword"),
        Entry("", "방패 {0}", ""),
        Entry("4", "활", "Bow"),
    ]


def test_tmx_chosen_languages_match_regions(tmp_path: Path) -> None:
    path = tmp_path / "memory.tmx"
    path.write_text(TMX, encoding="utf-8")
    assert list(tmx.read(path, "ko", "FR")) == [
        Entry("1", "검", "Épée"),
        Entry("", "방패 {0}", "Bouclier {0}"),
        Entry("4", "활", ""),
    ]
    assert list(tmx.read(path, "en-US", "ko-KR")) == [
        Entry("1", "Sword", "검"),
        Entry("3", "Bow only", ""),
        Entry("4", "Bow", "활"),
    ]


def test_tmx_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.tmx"
    path.write_bytes(b"")
    assert _error(tmx.read, path) == "empty.tmx: file is empty"
