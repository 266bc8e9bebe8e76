"""The PO reader refuses what GNU ``msgfmt -c`` refuses, naming the line; it accepts what
msgfmt accepts. Each case is checked against the real msgfmt (Debian's gettext)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from engine.formats import Entry, FormatError, po

HEADER = """\
msgid ""
msgstr ""
"Project-Id-Version: game 1.0\\n"
"PO-Revision-Date: 2026-01-01 00:00+0000\\n"
"Last-Translator: A <a@example.com>\\n"
"Language-Team: Korean\\n"
"Language: ko\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

"""

GOOD = {
    "plain": 'msgid "Open"\nmsgstr "열기"\n',
    "continued": 'msgid ""\n"Multi "\n"line"\nmsgstr ""\n"여러 "\n"줄"\n',
    "two strings on a line": 'msgid "a" "b"\nmsgstr "가" "나"\n',
    "contexts": 'msgctxt "menu"\nmsgid "Open"\nmsgstr "열기"\n\n'
    'msgctxt "door"\nmsgid "Open"\nmsgstr "열린"\n',
    "plural": 'msgid "%d file"\nmsgid_plural "%d files"\nmsgstr[0] "파일 %d개"\n'
    'msgstr[1] "파일 %d개들"\n',
    "escapes": 'msgid "Tab\\there \\"q\\" \\\\ \\101"\nmsgstr "탭\\t \\"q\\" \\\\ \\x41"\n',
    "newlines framing both": 'msgid "\\nHello\\n"\nmsgstr "\\n안녕\\n"\n',
    "comments and flags": "# translator\n#. extracted\n#: src/a.c:1\n#, fuzzy\n"
    '#| msgid "Old"\nmsgid "New"\nmsgstr "새"\n',
    "obsolete": 'msgid "a"\nmsgstr "가"\n\n#~ msgid "gone"\n#~ msgstr "없음"\n',
    "untranslated": 'msgid "a"\nmsgstr ""\n',
    "crlf": 'msgid "a"\r\nmsgstr "가"\r\n',
    "space before index": 'msgid "a"\nmsgid_plural "as"\nmsgstr [0] "가"\nmsgstr [1] "가들"\n',
    "c-format reordered": '#, c-format\nmsgid "%s has %d"\nmsgstr "%2$d개: %1$s"\n',
    "c-format same kinds": '#, c-format\nmsgid "%d of %u, %f%%"\nmsgstr "%i / %x, %g%%"\n',
    "c-format plural form leaving one out": '#, c-format\nmsgid "%d file"\n'
    'msgid_plural "%d files"\nmsgstr[0] "파일 하나"\nmsgstr[1] "파일 %d개"\n',
    "c-format fuzzy not checked": '#, fuzzy, c-format\nmsgid "%d"\nmsgstr "%s"\n',
    "python-format named": '#, python-format\nmsgid "%(n)s has %(m)d"\nmsgstr "%(m)d %(n)s"\n',
    "format not flagged": 'msgid "%d left"\nmsgstr "%s 남음"\n',
}

BAD = {
    "unterminated string": ('msgid "Hello"\nmsgstr "안녕\n', 14),
    "unterminated continuation": ('msgid "a"\nmsgstr ""\n"안녕\n', 15),
    "invalid escape": ('msgid "a\\q"\nmsgstr "가"\n', 13),
    "duplicate": ('msgid "a"\nmsgstr "가"\n\nmsgid "a"\nmsgstr "나"\n', 16),
    "missing msgstr": ('msgid "a"\n\nmsgid "b"\nmsgstr "나"\n', 13),
    "unknown keyword": ('msgid "a"\nmsgstr "가"\nhello\n', 15),
    "text after a string": ('msgid "a" x\nmsgstr "가"\n', 13),
    "comment after a string": ('msgid "a" # note\nmsgstr "가"\n', 13),
    "plural index from 1": ('msgid "a"\nmsgid_plural "as"\nmsgstr[1] "가"\n', 15),
    "too many plural forms": (
        'msgid "a"\nmsgid_plural "as"\nmsgstr[0] "가"\nmsgstr[1] "나"\nmsgstr[2] "다"\n',
        13,
    ),
    "msgctxt without msgid": ('msgctxt "a"\nmsgstr "가"\n', 14),
    "plain msgstr in a plural entry": ('msgid "a"\nmsgid_plural "as"\nmsgstr "가"\n', 15),
    "newline at the end of one side": ('msgid "a\\n"\nmsgstr "가"\n', 13),
    "broken obsolete entry": ('#~ msgid "a\n#~ msgstr "가"\n', 13),
    "c-format argument missing": ('#, c-format\nmsgid "%s has %d"\nmsgstr "%s"\n', 14),
    "c-format argument added": ('#, c-format\nmsgid "%s"\nmsgstr "%s %d"\n', 14),
    "c-format other type": ('#, c-format\nmsgid "%d left"\nmsgstr "%s 남음"\n', 14),
    "c-format lone percent": ('#, c-format\nmsgid "%d"\nmsgstr "%d 100%"\n', 14),
    "python-format other name": ('#, python-format\nmsgid "%(n)s"\nmsgstr "%(x)s"\n', 14),
}


def _write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / (name.replace(" ", "_") + ".po")
    path.write_bytes((HEADER + body).encode("utf-8"))
    return path


def _msgfmt_accepts(path: Path) -> bool:
    done = subprocess.run(
        ["msgfmt", "-c", "-o", "/dev/null", str(path)], capture_output=True, check=False
    )
    return done.returncode == 0


@pytest.mark.parametrize("name", sorted(GOOD))
def test_what_msgfmt_accepts_reads(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, GOOD[name])
    assert _msgfmt_accepts(path)
    assert list(po.read(path))


@pytest.mark.parametrize("name", sorted(BAD))
def test_what_msgfmt_refuses_is_refused_with_its_line(tmp_path: Path, name: str) -> None:
    body, line = BAD[name]
    path = _write(tmp_path, name, body)
    assert not _msgfmt_accepts(path)
    with pytest.raises(FormatError) as refused:
        list(po.read(path))
    assert str(refused.value).startswith(f"{path.name}: line {line}: ")


def test_an_unterminated_translation_is_never_stored_cut(tmp_path: Path) -> None:
    path = _write(tmp_path, "cut", 'msgid "Hello"\nmsgstr "안녕\n')
    with pytest.raises(FormatError, match="not closed"):
        list(po.read(path))


def test_entries_of_a_catalog_with_plurals_and_contexts(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "catalog",
        GOOD["contexts"] + "\n" + GOOD["plural"] + "\n" + GOOD["escapes"] + "\n"
        '#, fuzzy\nmsgid "Maybe"\nmsgstr "아마"\n',
    )
    assert list(po.read(path)) == [
        Entry("menu|Open", "Open", "열기"),
        Entry("door|Open", "Open", "열린"),
        Entry("%d file", "%d file", "파일 %d개"),
        Entry("%d file|plural", "%d files", "파일 %d개들"),
        Entry('Tab\there "q" \\ A', 'Tab\there "q" \\ A', '탭\t "q" \\ A'),
        Entry("Maybe", "Maybe", ""),
    ]
    assert po.declared_language(path) == "ko"
