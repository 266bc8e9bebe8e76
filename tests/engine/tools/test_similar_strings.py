"""Similar strings: groups (plain, across categories, at scale) and auto-translation with the
source's line structure, on real LocStr files."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ToolFailed
from engine.formats import Entry, locstr_xml
from engine.tools.base import ToolCall
from engine.tools.reports import read_report
from engine.tools.similar_strings import TOOL
from engine.tools.similar_strings.autotranslate import adapt_lines


def _run(function: str, inputs: list[Path], data_dir: Path, **params: Any):
    fn = TOOL.function(function)
    assert fn is not None
    validated = fn.params.model_validate(params)
    return fn.run(ToolCall(inputs=inputs, params=validated, data_dir=data_dir))


STRINGS = [
    Entry("quest_1", "마을 북쪽의 늑대를 처치하세요", "Defeat the wolves north of the village"),
    Entry("quest_2", "마을 남쪽의 늑대를 처치하세요", ""),
    Entry("npc_1", "마을 북쪽의 늑대를 처치하세요!", "Kill the wolves up north!"),
    Entry("npc_2", "오늘 날씨가 참 좋네요", "Nice weather today"),
    Entry("npc_3", "짧다", "Short"),
]


def test_groups(tmp_path: Path) -> None:
    src = tmp_path / "game.xml"
    locstr_xml.write(src, STRINGS)
    report = tmp_path / "groups.tsv"
    result = _run("find_groups", [src], tmp_path, report=report, threshold=0.9, min_length=5)
    assert read_report(report) == [
        ["group", "similarity_to_first", "category", "string_id", "source", "translation"],
        ["1", "1.0", "", "quest_1", STRINGS[0].source, STRINGS[0].translation],
        ["1", "0.938", "", "quest_2", STRINGS[1].source, ""],
        ["1", "0.97", "", "npc_1", STRINGS[2].source, STRINGS[2].translation],
    ]
    assert result.summary == {
        "texts_compared": 4,
        "groups": 1,
        "strings_in_groups": 3,
        "largest_group": 1 + 2,
    }


def test_groups_across_string_id_prefixes_only(tmp_path: Path) -> None:
    src = tmp_path / "game.xml"
    locstr_xml.write(src, STRINGS[:2] + STRINGS[3:])
    result = _run(
        "find_groups",
        [src],
        tmp_path,
        threshold=0.9,
        min_length=5,
        category="string_id_prefix",
        across_categories_only=True,
    )
    # quest_1 and quest_2 are similar but share the prefix "quest".
    assert result.summary["groups"] == 0
    locstr_xml.write(src, STRINGS)
    result = _run(
        "find_groups",
        [src],
        tmp_path,
        threshold=0.9,
        min_length=5,
        category="string_id_prefix",
        across_categories_only=True,
    )
    assert [row[2:4] for row in read_report(result.output_files[0])[1:]] == [
        ["quest", "quest_1"],
        ["quest", "quest_2"],
        ["npc", "npc_1"],
    ]


def test_groups_across_files(tmp_path: Path) -> None:
    a, b = tmp_path / "in" / "a.xml", tmp_path / "in" / "b.xml"
    locstr_xml.write(a, STRINGS[:2])
    locstr_xml.write(b, STRINGS[2:])
    result = _run(
        "find_groups",
        [tmp_path / "in"],
        tmp_path,
        threshold=0.9,
        min_length=5,
        category="file",
        across_categories_only=True,
    )
    assert [row[2:4] for row in read_report(result.output_files[0])[1:]] == [
        ["a.xml", "quest_1"],
        ["a.xml", "quest_2"],
        ["b.xml", "npc_1"],
    ]
    with pytest.raises(ToolFailed) as caught:
        _run("find_groups", [], tmp_path, dictionary="x", category="file")
    assert str(caught.value) == "no dictionary named 'x' (built: none)"


@pytest.mark.slow
def test_ten_thousand_strings_in_seconds(tmp_path: Path) -> None:
    rng = random.Random(7)
    syllables = "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초"
    bases = ["".join(rng.choice(syllables) for _ in range(30)) for _ in range(2000)]
    entries = []
    for n in range(10_000):
        text = list(bases[n % 2000])
        text[rng.randrange(30)] = rng.choice(syllables)
        entries.append(Entry(f"s_{n}", "".join(text), ""))
    src = tmp_path / "big.xml"
    locstr_xml.write(src, entries)
    started = time.perf_counter()
    result = _run("find_groups", [src], tmp_path, threshold=0.9, min_length=10)
    elapsed = time.perf_counter() - started
    # Each base gets five variants differing in at most one syllable (ratio >= 0.966).
    assert result.summary["groups"] == 2000
    assert elapsed < 30


def test_adapt_lines() -> None:
    assert adapt_lines("One two three four", "첫 줄 길다<br/>둘") == "One two three<br/>four"
    assert adapt_lines("One<br/>two", "한 줄") == "One two"
    assert adapt_lines("A\nB", "가<br/>나") == "A<br/>B"
    assert adapt_lines("{0} is {Name 1}", "가\n나") == "{0} is\n{Name 1}"
    assert adapt_lines("検索結果", "가<br/>나") == "検索<br/>結果"


def test_auto_translate(tmp_path: Path) -> None:
    src = tmp_path / "game.xml"
    locstr_xml.write(
        src,
        [
            Entry("a_1", "{0}의 검을 획득했습니다", "You obtained the sword of {0}"),
            Entry("a_2", "{1}의 검을 획득했습니다<br/>축하합니다", ""),
            Entry("a_3", "전혀 다른 문장", ""),
            Entry("a_4", "검", ""),
        ],
    )
    out, report = tmp_path / "out" / "filled.xml", tmp_path / "out" / "filled.tsv"
    result = _run("auto_translate", [src], tmp_path, threshold=0.7, output=out, report=report)
    filled = "You obtained the sword<br/>of {1}"
    assert list(locstr_xml.read(out)) == [
        Entry("a_1", "{0}의 검을 획득했습니다", "You obtained the sword of {0}"),
        Entry("a_2", "{1}의 검을 획득했습니다<br/>축하합니다", filled),
        Entry("a_3", "전혀 다른 문장", ""),
        Entry("a_4", "검", ""),
    ]
    assert read_report(report) == [
        [
            "string_id",
            "source",
            "filled_translation",
            "from_string_id",
            "from_source",
            "from_translation",
            "score",
            "differences",
            "filled",
            "problem",
            "alternatives",
        ],
        [
            "a_2",
            "{1}의 검을 획득했습니다<br/>축하합니다",
            filled,
            "a_1",
            "{0}의 검을 획득했습니다",
            "You obtained the sword of {0}",
            "0.765",
            "{[-0-]{+1+}}의 검을 획득했습니다{+\n축하합니다+}",
            "yes",
            "",
            "",
        ],
    ]
    assert result.summary == {"untranslated": 2, "filled": 1, "held_for_review": 0, "left": 1}
    assert result.output_files == [out, report]


def test_auto_translate_holds_back_differing_placeholders_and_names_alternatives(
    tmp_path: Path,
) -> None:
    src = tmp_path / "game.xml"
    locstr_xml.write(
        src,
        [
            Entry("d_1", "남은 시간은 %d초입니다", "%d seconds left"),
            Entry("d_2", "남은 시간은 %d초입니다", "Time left: %d s"),
            Entry("d_3", "보물 상자를 열었습니다", "You opened the chest"),
            Entry("t_1", "남은 시간은 %s초입니다", ""),
            Entry("t_2", "보물 상자를 열었습니다!", ""),
        ],
    )
    out, report = tmp_path / "filled.xml", tmp_path / "filled.tsv"
    result = _run("auto_translate", [src], tmp_path, threshold=0.8, output=out, report=report)
    translations = {e.string_id: e.translation for e in locstr_xml.read(out)}
    assert translations["t_1"] == ""  # %s in the source, %d in the only translations
    assert translations["t_2"] == "You opened the chest"
    header, *rows = read_report(report)
    by_id = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_id["t_1"]["filled"] == "no"
    assert by_id["t_1"]["problem"] == "placeholders differ (missing: %s; extra: %d)"
    assert by_id["t_1"]["alternatives"] == "Time left: %d s"
    assert by_id["t_2"]["differences"] == "보물 상자를 열었습니다{+!+}"
    assert result.summary["held_for_review"] == 1
