"""engine.formats.locstr_txt on real files written in the test."""

from __future__ import annotations

import codecs

import pytest

from engine.formats import Entry, FormatError
from engine.formats.locstr_txt import detect_encoding, read, read_lines, write_translations

LINES = [
    "0\t1\t2\t3\tID_A\t검을 들다\tTake the sword",
    "",
    "# a comment line",
    "0\t1\t2\t3\tID_B\t{0}의 방패",
    "0\t1\t2\t3\tID_C\t첫 줄<br/>둘째 줄\t\textra",
]


def write(path, lines, encoding="utf-8", end="\n", bom=b""):
    path.write_bytes(bom + end.join(lines).encode(encoding) + end.encode(encoding))
    return path


def test_read_entries(tmp_path):
    path = write(tmp_path / "a.txt", LINES)
    assert list(read(path)) == [
        Entry("0\t1\t2\t3\tID_A", "검을 들다", "Take the sword"),
        Entry("0\t1\t2\t3\tID_B", "{0}의 방패", ""),
        Entry("0\t1\t2\t3\tID_C", "첫 줄<br/>둘째 줄", ""),
    ]


@pytest.mark.parametrize(
    ("encoding", "bom", "name"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_encodings_and_line_ends_round_trip(tmp_path, encoding, bom, name, end):
    path = write(tmp_path / "a.txt", LINES, encoding, end, bom)
    assert detect_encoding(path) == name
    assert [e.source for e in read(path)] == ["검을 들다", "{0}의 방패", "첫 줄<br/>둘째 줄"]
    out = tmp_path / "out.txt"
    assert write_translations(path, out, {4: "Shield of {0}", 5: "Line 1<br/>Line 2"}) == 2
    expected = [
        *LINES[:3],
        LINES[3] + "\tShield of {0}",
        LINES[4].replace("\t\t", "\tLine 1<br/>Line 2\t"),
    ]
    assert out.read_bytes() == bom + end.join(expected).encode(encoding) + end.encode(encoding)


def test_unchanged_lines_are_copied_byte_for_byte(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("0\t1\t2\t3\t4\t가\tA\r\nno tabs here\n0\t1\t2\t3\t4\t나".encode())
    out = tmp_path / "b.txt"
    write_translations(path, out, {3: "B"})
    assert out.read_bytes() == "0\t1\t2\t3\t4\t가\tA\r\nno tabs here\n0\t1\t2\t3\t4\t나\tB".encode()
    assert [line.end for line in read_lines(path)] == ["\r\n", "\n", ""]


def test_mixed_encodings_fail_with_the_line(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(
        "0\t1\t2\t3\t4\t가\tA\n".encode() + "0\t1\t2\t3\t4\t나\tB\n".encode("cp949") + b"x\n"
    )
    with pytest.raises(FormatError, match="mixed.txt, row 2: not valid UTF-8"):
        list(read(path))


def test_utf16_without_bom_is_refused(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("0\t1\t2\t3\t4\t가\tA\n".encode("utf-16-le"))
    with pytest.raises(FormatError, match="UTF-16 without a byte-order mark"):
        list(read(path))


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(FormatError, match="empty.txt: empty file"):
        list(read(tmp_path / "empty.txt"))
    with pytest.raises(FormatError, match="gone.txt: file not found"):
        list(read(tmp_path / "gone.txt"))


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("0\t1\t2\t3\t4\t가\n".encode() + "0\t1\t2\t3\t4\t나\n".encode("cp949"))
    out = tmp_path / "out.txt"
    with pytest.raises(FormatError, match="row 2"):
        write_translations(path, out, {1: "A"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.txt"]


def test_translation_with_a_newline_is_refused(tmp_path):
    path = write(tmp_path / "a.txt", LINES)
    with pytest.raises(FormatError, match="row 1: a translation holds a tab or a newline"):
        write_translations(path, tmp_path / "out.txt", {1: "a\nb"})
    assert not (tmp_path / "out.txt").exists()
