"""Reports every tool writes: one TSV encoding and quoting, xlsx as text, atomic, named alike."""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

from engine.formats import FormatError
from engine.tools.base import ToolCall
from engine.tools.reports import dated_path, output_path, read_report, write_report
from engine.tools.text_stats import TOOL as TEXT_STATS

TRICKY = ["tab\there", 'say "hi"', "two\nlines", "lone\rreturn", "crlf\r\nend", " pad ", "", "=1+1"]


def test_tsv_is_utf8_with_bom_crlf_and_quotes_only_what_needs_it(tmp_path):
    path = tmp_path / "r.tsv"
    assert write_report(path, ["a", "b"], [["검", 3], ["plain", None]]) == 2
    assert path.read_bytes() == "\ufeffa\tb\r\n검\t3\r\nplain\t\r\n".encode()

    write_report(path, ["value"], [[v] for v in TRICKY])
    raw = path.read_bytes().decode("utf-8-sig")
    assert raw.split("\r\n")[1:4] == ['"tab\there"', '"say ""hi"""', '"two\nlines"']
    assert '"lone\rreturn"' in raw and '"crlf\r\nend"' in raw


def test_tsv_values_read_back_unchanged(tmp_path):
    path = tmp_path / "r.tsv"
    rows = [[v, f"{n}"] for n, v in enumerate(TRICKY)]
    write_report(path, ["value", "n"], rows)
    assert read_report(path) == [["value", "n"], *rows]
    # Any csv reader in Excel's tab dialect reads it too (the byte-order mark aside).
    with path.open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f, dialect="excel-tab"))[1:] == rows


def test_xlsx_keeps_every_text_as_text(tmp_path):
    path = tmp_path / "r.xlsx"
    write_report(path, ["value", "n"], [["=1+1", 1], ["bell\x07", 2.5]], "xlsx")
    sheet = load_workbook(path).worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["value", "n"],
        ["=1+1", 1],
        ["bell\ufffd", 2.5],
    ]
    assert sheet["A2"].data_type == "s"


@pytest.mark.parametrize("fmt", ["tsv", "xlsx"])
def test_a_failed_report_leaves_the_old_one_and_no_temporary(tmp_path, fmt):
    path = tmp_path / f"r.{fmt}"
    write_report(path, ["a"], [["old"]], fmt)
    before = path.read_bytes()

    def rows():
        yield ["new"]
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_report(path, ["a"], rows(), fmt)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_paths_beside_the_input_or_dated_under_reports(tmp_path):
    source = tmp_path / "in" / "quest.xlsx"
    assert output_path(source, "", "translated") == tmp_path / "in" / "quest_translated.xlsx"
    out = str(tmp_path / "out")
    assert output_path(source, out, "report", ".tsv") == tmp_path / "out" / "quest_report.tsv"
    first, second = dated_path(tmp_path, "search", "tsv"), dated_path(tmp_path, "search", "tsv")
    assert first.parent == tmp_path / "reports" and first != second
    assert re.fullmatch(r"search-\d{8}-\d{6}-\d{6}\.tsv", first.name)


def test_read_report_refuses_what_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("term\tcafé\n".encode("latin-1"))
    with pytest.raises(FormatError, match=r"latin1.tsv: not UTF-8 text \(byte 8\)"):
        read_report(path)
    plain = tmp_path / "plain.tsv"
    plain.write_text("term\ttranslation\n검\tsword\n", encoding="utf-8")
    assert read_report(plain) == [["term", "translation"], ["검", "sword"]]


def test_text_stats_report_is_a_report_like_the_others(tmp_path):
    text = tmp_path / 'say "hi".txt'
    text.write_text("하나\n\n둘\n", encoding="utf-8")
    report = tmp_path / "stats.tsv"
    fn = TEXT_STATS.functions[0]
    fn.run(ToolCall([text], fn.params(report=report), tmp_path))
    assert report.read_bytes().startswith(b"\xef\xbb\xbffile\tlines")
    assert read_report(report) == [
        ["file", "lines", "non_empty", "characters"],
        ['say "hi".txt', "3", "2", "6"],
    ]
