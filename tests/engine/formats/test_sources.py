"""Dictionary sources: the reader is chosen by extension, folders are read recursively, and a bad
file either stops the read or is skipped whole with a warning naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ToolFailed
from engine.formats import Entry, FormatError
from engine.formats.sources import Sources


def _locstr(path: Path, *rows: tuple[str, str, str]) -> Path:
    body = "".join(f'<LocStr StringId="{i}" StrOrigin="{s}" Str="{t}"/>\n' for i, s, t in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<LanguageData>\n{body}</LanguageData>\n", encoding="utf-8")
    return path


def _tree(root: Path) -> None:
    _locstr(root / "a.xml", ("a1", "검", "Sword"))
    _locstr(root / "sub" / "deeper" / "b.XML", ("b1", "방패", "Shield"))
    (root / "sub" / "c.po").write_text('msgid "열기"\nmsgstr "Open"\n', encoding="utf-8")
    (root / "sub" / "d.xlf").write_text(
        '<xliff version="2.0" xmlns="urn:oasis:names:tc:xliff:document:2.0" srcLang="ko" '
        'trgLang="en"><file id="f"><unit id="u1"><segment><source>닫기</source>'
        "<target>Close</target></segment></unit></file></xliff>",
        encoding="utf-8",
    )
    (root / "e.tmx").write_text(
        '<tmx version="1.4"><header srclang="ko"/><body><tu tuid="t1">'
        '<tuv xml:lang="ko"><seg>활</seg></tuv><tuv xml:lang="en"><seg>Bow</seg></tuv>'
        "</tu></body></tmx>",
        encoding="utf-8",
    )
    (root / "notes.md").write_text("not a source", encoding="utf-8")


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    steps: list[tuple[int, int | None, str]] = []
    sources = Sources([tmp_path])
    found = [(p.name, e) for p, e in sources.entries(lambda d, t, s="": steps.append((d, t, s)))]
    assert found == [
        ("a.xml", Entry("a1", "검", "Sword")),
        ("e.tmx", Entry("t1", "활", "Bow")),
        ("c.po", Entry("열기", "열기", "Open")),
        ("d.xlf", Entry("u1", "닫기", "Close")),
        ("b.XML", Entry("b1", "방패", "Shield")),
    ]
    assert steps == [
        (0, 5, "a.xml"),
        (1, 5, "e.tmx"),
        (2, 5, "c.po"),
        (3, 5, "d.xlf"),
        (4, 5, "b.XML"),
        (5, 5, "read"),
    ]
    assert sources.warnings == ["ignored 1 file(s) of other types in the folders"]


def test_only_locstr_suffixes(tmp_path: Path) -> None:
    _tree(tmp_path)
    sources = Sources([tmp_path], suffixes=(".xml",))
    assert [p.name for p in sources.files] == ["a.xml", "b.XML"]
    assert sources.warnings == ["ignored 4 file(s) of other types in the folders"]


def test_a_named_file_of_another_type_is_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("x", encoding="utf-8")
    with pytest.raises(FormatError) as caught:
        Sources([notes])
    assert str(caught.value) == (
        "notes.md: unsupported file type (expected one of .xml, .txt, .tsv, .po, .xlf, .xliff, "
        ".tmx)"
    )


def test_missing_input_and_nothing_found(tmp_path: Path) -> None:
    with pytest.raises(ToolFailed) as caught:
        Sources([tmp_path / "gone"])
    assert str(caught.value) == f"{tmp_path / 'gone'}: no such file or folder"
    (tmp_path / "readme.md").write_text("x", encoding="utf-8")
    with pytest.raises(ToolFailed) as caught:
        Sources([tmp_path])
    assert str(caught.value) == "no dictionary source files found in the inputs"


def _bad_tree(root: Path) -> None:
    _locstr(root / "a.xml", ("a1", "검", "Sword"))
    # Two good records, then an unclosed quote (expat notices it on line 5): none of this
    # file may be used.
    (root / "b.xml").write_text(
        '<LanguageData>\n<LocStr StringId="b1" StrOrigin="x" Str="y"/>\n'
        '<LocStr StringId="b2" StrOrigin="x" Str="y"/>\n<LocStr StringId="b3" StrOrigin="x>\n'
        "</LanguageData>\n",
        encoding="utf-8",
    )
    (root / "c.xml").write_bytes(b"")
    _locstr(root / "d.xml", ("d1", "방패", "Shield"))


def test_bad_file_stops_the_read(tmp_path: Path) -> None:
    _bad_tree(tmp_path)
    seen = []
    with pytest.raises(FormatError) as caught:
        for _path, entry in Sources([tmp_path]).entries():
            seen.append(entry.string_id)
    assert str(caught.value).startswith("b.xml: line 5: not well-formed (invalid token)")
    # b1 and b2 share the failing 64 KiB chunk, so they are never handed out.
    assert seen == ["a1"]


def test_skipped_bad_files_are_left_out_whole(tmp_path: Path) -> None:
    _bad_tree(tmp_path)
    _locstr(tmp_path / "e.xml")
    sources = Sources([tmp_path], skip_bad_files=True)
    assert [e.string_id for _p, e in sources.entries()] == ["a1", "d1"]
    assert sources.warnings == [
        "skipped b.xml: line 5: not well-formed (invalid token) (malformed XML, or bytes not "
        "valid in the declared encoding)",
        "skipped c.xml: file is empty",
        "e.xml: no entries found",
    ]
