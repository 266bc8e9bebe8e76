"""LocStr XML: line breaks and code tags survive a round trip; hostile or broken files fail with
a message naming the file and line; large files stream in bounded memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from engine.formats import Entry, FormatError, locstr_xml

HEADER = '<?xml version="1.0" encoding="utf-8"?>\n'


def test_reads_line_breaks_tags_and_escapes(tmp_path: Path) -> None:
    path = tmp_path / "strings.xml"
    path.write_text(
        HEADER + "<LanguageData>\n"
        '  <LocStr StringId="ui_1" StrOrigin="첫 줄&lt;br/&gt;{0} 둘째" '
        'Str="First&lt;br/&gt;{0} second"/>\n'
        '  <LocStr stringid="ui_2" StrOrigin="&lt;PAColor0xffe9bd23&gt;검&lt;PAOldColor&gt; &amp; '
        '&quot;방패&quot;" Str=""/>\n'
        '  <LocStr StringID="ui_3" StrOrigin="a&#10;b&#13;&#10;c"/>\n'
        "</LanguageData>\n",
        encoding="utf-8",
    )
    assert list(locstr_xml.read(path)) == [
        Entry("ui_1", "첫 줄<br/>{0} 둘째", "First<br/>{0} second"),
        Entry("ui_2", '<PAColor0xffe9bd23>검<PAOldColor> & "방패"', ""),
        Entry("ui_3", "a<br/>b<br/>c", ""),
    ]


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    entries = [
        Entry("a_1", "줄<br/>{name}\t탭", "Line<br/>{name}\ttab"),
        Entry("a_2", "<PAColor0xff00ff00>초록<PAOldColor> & 'x' \"y\"", "green\nnew"),
    ]
    path = tmp_path / "out.xml"
    assert locstr_xml.write(path, entries) == 2
    assert path.read_text(encoding="utf-8") == (
        HEADER + "<LanguageData>\n"
        '  <LocStr StringId="a_1" StrOrigin="줄&lt;br/&gt;{name}&#9;탭" '
        'Str="Line&lt;br/&gt;{name}&#9;tab"/>\n'
        '  <LocStr StringId="a_2" StrOrigin="&lt;PAColor0xff00ff00&gt;초록&lt;PAOldColor&gt; '
        '&amp; \'x\' &quot;y&quot;" Str="green&lt;br/&gt;new"/>\n'
        "</LanguageData>\n"
    )
    assert list(locstr_xml.read(path)) == [
        entries[0],
        Entry("a_2", entries[1].source, "green<br/>new"),
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    path.write_text("old", encoding="utf-8")
    entries = [Entry("ok", "a", "b"), Entry("bad_1", "a\x01b", "")]
    with pytest.raises(FormatError) as caught:
        locstr_xml.write(path, entries)
    assert str(caught.value) == "out.xml: string 'bad_1': character U+0001 cannot be in XML"
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xml"]


def _read_error(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    with pytest.raises(FormatError) as caught:
        list(locstr_xml.read(path))
    return str(caught.value)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<LanguageData><LocStr StringId="x" StrOrigin="&lol9;" Str=""/></LanguageData>
"""


def test_xml_bomb_is_refused(tmp_path: Path) -> None:
    message = _read_error(tmp_path / "bomb.xml", BILLION_LAUGHS)
    assert message.startswith(
        "bomb.xml: line 2: DTD and entity declarations are not allowed (they can expand into an "
        "XML bomb or read other files)"
    )


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    content = (
        f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
        '<LanguageData><LocStr StringId="x" StrOrigin="&s;" Str=""/></LanguageData>\n'
    ).encode()
    message = _read_error(tmp_path / "xxe.xml", content)
    assert message.startswith("xxe.xml: line 2: DTD and entity declarations are not allowed")
    assert "top secret" not in message


def test_undeclared_entity_names_the_line(tmp_path: Path) -> None:
    content = b'<LanguageData>\n\n<LocStr StringId="x" StrOrigin="&nope;"/>\n</LanguageData>'
    assert _read_error(tmp_path / "ent.xml", content) == "ent.xml: line 3: undefined entity"


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    content = (
        HEADER + '<LanguageData>\n<LocStr StringId="1" StrOrigin="a" Str="b">\n</LanguageData>\n'
    ).encode()
    assert _read_error(tmp_path / "bad.xml", content) == "bad.xml: line 4: mismatched tag"


def test_empty_and_blank_files(tmp_path: Path) -> None:
    assert _read_error(tmp_path / "empty.xml", b"") == "empty.xml: file is empty"
    assert _read_error(tmp_path / "blank.xml", b"  \n\n") == "blank.xml: file is empty"


def test_bytes_outside_the_declared_encoding(tmp_path: Path) -> None:
    content = (
        HEADER.encode()
        + b"<LanguageData>\n"
        + '<LocStr StringId="1" StrOrigin="검" Str="x"/>\n'.encode()
        + '<LocStr StringId="2" StrOrigin="방패" Str="y"/>\n'.encode("cp949")
        + b"</LanguageData>\n"
    )
    assert _read_error(tmp_path / "mixed.xml", content) == (
        "mixed.xml: line 4: not well-formed (invalid token) (malformed XML, or bytes not valid "
        "in the declared encoding)"
    )


def test_locstr_without_string_id_names_the_line(tmp_path: Path) -> None:
    content = b'<LanguageData>\n<LocStr StringId="1"/>\n<LocStr StrOrigin="a"/>\n</LanguageData>'
    assert _read_error(tmp_path / "noid.xml", content) == (
        "noid.xml: line 3: LocStr without a StringId attribute"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as caught:
        list(locstr_xml.read(tmp_path / "gone.xml"))
    assert str(caught.value) == "gone.xml: cannot open: No such file or directory"


def test_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    rows = 40_000
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "<LanguageData>\n")
        for n in range(rows):
            out.write(
                f'<LocStr StringId="s_{n}" StrOrigin="원문 {n}&lt;br/&gt;둘째 줄" '
                f'Str="source {n}&lt;br/&gt;second line"/>\n'
            )
        out.write("</LanguageData>\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = 0
        last = None
        for entry in locstr_xml.read(path):
            count += 1
            last = entry
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == rows
    assert last == Entry(
        f"s_{rows - 1}", f"원문 {rows - 1}<br/>둘째 줄", f"source {rows - 1}<br/>second line"
    )
    # The file is several MB; reading it holds one 64 KiB chunk and its records at a time.
    assert size > 4_000_000
    assert peak < 2_000_000
