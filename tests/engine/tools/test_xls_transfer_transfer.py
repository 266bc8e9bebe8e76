"""transfer_excel and transfer_txt on real files, checked cell by cell and line by line."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.styles import Font

from engine.dictionaries import DictionaryError, DictionaryStore
from engine.errors import BadParams
from engine.formats import Entry, FormatError
from engine.tools.reports import read_report
from engine.tools.xls_transfer.dictionary import KIND, SPLIT, WHOLE
from engine.tools.xls_transfer.matcher import Matcher
from tests.engine.tools.xls_transfer_helpers import book, cells, leftovers, run

ENTRIES = [
    Entry("", "검을 들어라", "Raise the sword", SPLIT),
    Entry("", "{0}의 방패를 얻었다", "You got the shield of {0}", SPLIT),
    Entry("", "첫 번째 줄입니다", "This is line one", SPLIT),
    Entry("", "두 번째 줄입니다", "This is line two", SPLIT),
    Entry(
        "", "<PAColor0xffe9bd23>경고<PAOldColor> 위험한 지역입니다", "Warning\nDanger zone", WHOLE
    ),
    Entry(
        "",
        "아주 긴 문장으로 된 퀘스트 설명입니다 조심하세요",
        "A long quest text, be careful",
        SPLIT,
    ),
]


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    DictionaryStore(data, KIND).save("game", ENTRIES, {})
    return data


def test_matcher_order_exact_fuzzy_lines():
    m = Matcher(ENTRIES, 0.9)
    assert m.match("  검을   들어라 ").translation == "Raise the sword"
    assert m.match("첫 번째 줄입니다<br/>두 번째 줄입니다").how == "lines"
    assert m.match("첫 번째 줄입니다\\n두 번째 줄입니다").translation == (
        "This is line one\nThis is line two"
    )
    fuzzy = m.match("아주 긴 문장으로 된 퀘스트 설명입니다 조심하세용")
    assert fuzzy.how == "fuzzy" and 0.9 <= fuzzy.score < 1
    assert m.match("전혀 다른 문장") is None
    assert Matcher(ENTRIES, 1.0).match("아주 긴 문장으로 된 퀘스트 설명입니다 조심하세용") is None


def test_fuzzy_match_carries_the_targets_tags():
    m = Matcher(ENTRIES, 0.85)
    found = m.match("{1}의 방패를 얻었다")
    assert found.how == "fuzzy" and found.translation == "You got the shield of {1}"
    assert found.missing_tags == []
    colored = m.match("<PAColor0xffe9bd23>경고<PAOldColor> 위험한 지역입니다")
    assert colored.translation == "Warning\nDanger zone"
    assert colored.missing_tags == ["<PAColor0xffe9bd23>", "<PAOldColor>"]


def target_book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Quest"
    rows = [
        ("KR", "EN"),
        ("검을 들어라", None),
        ("{7}의 방패를 얻었다", "keep?"),
        ("첫 번째 줄입니다_x000D_\n두 번째 줄입니다", None),
        ("없는 문장", "untouched"),
        (None, None),
        ("아주 긴 문장으로 된 퀘스트 설명입니다 조심하세용", None),
    ]
    for r, (kr, en) in enumerate(rows, 1):
        ws.cell(row=r, column=1, value=kr)
        ws.cell(row=r, column=3, value=en)
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["C"].width = 50
    wb.create_sheet("Notes")["A1"] = "검을 들어라"
    wb.save(path)
    return path


def test_transfer_excel(tmp_path, data_dir):
    target = target_book(tmp_path / "quest.xlsx")
    progress: list = []
    result = run(
        "transfer_excel",
        [target],
        data_dir,
        progress,
        dictionary="game",
        sheet="Quest",
        source_column="A",
        translation_column="C",
        first_row=2,
        threshold=0.9,
    )
    out = tmp_path / "quest_translated.xlsx"
    assert cells(out, "Quest", "C") == [
        "EN",
        "Raise the sword",
        "You got the shield of {7}",
        "This is line one\nThis is line two",
        "untouched",
        None,
        "A long quest text, be careful",
    ]
    wb = openpyxl.load_workbook(out)
    assert wb["Quest"]["A1"].font.bold and wb["Quest"].column_dimensions["C"].width == 50
    assert wb["Notes"]["B1"].value is None
    assert result.summary == {
        "exact": 1,
        "fuzzy": 2,
        "lines": 1,
        "none": 1,
        "missing_tags": 0,
        "not_written": 0,
        "marked_for_review": 0,
        "ambiguous": 0,
    }
    assert (result.rows_in, result.rows_out) == (5, 4)
    report = read_report(tmp_path / "quest_transfer_report.tsv")
    assert report[0][:7] == [
        "sheet",
        "row",
        "match",
        "score",
        "source",
        "translation",
        "missing_tags",
    ]
    assert report[1][:7] == ["Quest", "2", "exact", "1.0000", "검을 들어라", "Raise the sword", ""]
    assert report[4][:3] == ["Quest", "5", "none"]
    assert report[5][:3] == ["Quest", "7", "fuzzy"]
    assert result.output_files == [out, tmp_path / "quest_transfer_report.tsv"]
    assert leftovers(tmp_path) == []


def test_threshold_is_validated(tmp_path, data_dir):
    target = target_book(tmp_path / "quest.xlsx")
    for bad in (0.79, 1.01):
        with pytest.raises(BadParams, match="threshold"):
            run("transfer_excel", [target], data_dir, dictionary="game", threshold=bad)


def locstr(path, rows, end="\n"):
    path.write_bytes(end.join("\t".join(r) for r in rows).encode() + end.encode())
    return path


def test_transfer_txt(tmp_path, data_dir):
    target = locstr(
        tmp_path / "strings.txt",
        [
            ("0", "1", "2", "3", "A", "검을 들어라", ""),
            ("0", "1", "2", "3", "B", "첫 번째 줄입니다<br/>두 번째 줄입니다", "old"),
            ("0", "1", "2", "3", "C", "첫 번째 줄입니다\\n두 번째 줄입니다"),
            ("# comment",),
            ("0", "1", "2", "3", "D", "모르는 문장", "stays"),
            ("0", "1", "2", "3", "E", "{x}의 방패를 얻었다", "", "extra"),
        ],
        end="\r\n",
    )
    result = run("transfer_txt", [target], data_dir, dictionary="game", threshold=0.9)
    out = tmp_path / "strings_translated.txt"
    assert out.read_bytes().decode().split("\r\n") == [
        "0\t1\t2\t3\tA\t검을 들어라\tRaise the sword",
        "0\t1\t2\t3\tB\t첫 번째 줄입니다<br/>두 번째 줄입니다"
        "\tThis is line one<br/>This is line two",
        "0\t1\t2\t3\tC\t첫 번째 줄입니다\\n두 번째 줄입니다\tThis is line one\\nThis is line two",
        "# comment",
        "0\t1\t2\t3\tD\t모르는 문장\tstays",
        "0\t1\t2\t3\tE\t{x}의 방패를 얻었다\tYou got the shield of {x}\textra",
        "",
    ]
    assert result.summary["none"] == 1 and result.rows_out == 4
    assert leftovers(tmp_path) == []


def test_bad_inputs_fail_with_where_and_write_nothing(tmp_path, data_dir):
    target = target_book(tmp_path / "quest.xlsx")
    with pytest.raises(DictionaryError, match="no dictionary 'nope'"):
        run("transfer_excel", [target], data_dir, dictionary="nope")
    with pytest.raises(FormatError, match="quest.xlsx, sheet 'Missing'"):
        run("transfer_excel", [target], data_dir, dictionary="game", sheet="Missing")
    with pytest.raises(FormatError, match="bad column"):
        run("transfer_excel", [target], data_dir, dictionary="game", translation_column="?")
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(
        "0\t1\t2\t3\t4\t검을 들어라\n".encode() + "0\t1\t2\t3\t4\t방패\n".encode("cp949")
    )
    with pytest.raises(FormatError, match="mixed.txt, row 2"):
        run("transfer_txt", [mixed], data_dir, dictionary="game")
    with pytest.raises(FormatError, match="not a supported LocStr TXT file"):
        run("transfer_txt", [target], data_dir, dictionary="game")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "mixed.txt", "quest.xlsx"]


def test_many_rows_report_progress(tmp_path):
    data = tmp_path / "data"
    DictionaryStore(data, KIND).save(
        "d", [Entry("", f"문장 {n}번", f"Line {n}", SPLIT) for n in range(3000)], {}
    )
    rows = [[f"문장 {n}번"] for n in range(2500)]
    target = book(tmp_path / "big.xlsx", {"S": rows})
    progress: list = []
    result = run("transfer_excel", [target], data, progress, dictionary="d", translation_column="B")
    assert result.rows_out == 2500
    assert [p[0] for p in progress] == [1000, 2000]
    assert cells(tmp_path / "big_translated.xlsx", "S", "B")[2499] == "Line 2499"


def test_built_dictionaries_store_normalised_sources_and_older_ones_still_match(tmp_path):
    data = tmp_path / "data"
    src = book(tmp_path / "dict.xlsx", {"S": [["  검을    들어라 ", "Raise the sword"]]})
    run("build_dictionary", [src], data, name="new")
    store = DictionaryStore(data, KIND)
    assert store.load("new") == [Entry("", "검을 들어라", "Raise the sword", SPLIT)]
    assert store.info("new")["meta"]["normalized_sources"] is True
    # Saved before sources were stored normalised: no flag, so the transfer normalises them.
    store.save("old", [Entry("", "검을    들어라", "Raise the sword", SPLIT)], {"files": []})
    target = book(tmp_path / "target.xlsx", {"S": [["검을 들어라 "]]})
    for name in ("new", "old"):
        run("transfer_excel", [target], data, dictionary=name, translation_column="B")
        assert cells(tmp_path / "target_translated.xlsx", "S", "B") == ["Raise the sword"]
