"""Normalisation rules and code tag handling."""

from __future__ import annotations

import pytest

from engine.text.normalize import line_count, normalize, unify_newlines
from engine.text.tags import carry_tags, find_tags, missing_tags, protect, restore


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("  검을   들다 ", "검을 들다"),
        ("가\t나\u00a0다", "가 나 다"),
        ("첫 줄\r\n둘째 줄", "첫 줄\n둘째 줄"),
        ("첫 줄_x000D_\n둘째 줄", "첫 줄\n둘째 줄"),
        ("첫 줄<br/>둘째 줄", "첫 줄\n둘째 줄"),
        ("첫 줄<BR />둘째 줄", "첫 줄\n둘째 줄"),
        ("첫 줄\\n둘째 줄", "첫 줄\n둘째 줄"),
        ("\n\n 가 \n\n 나 \n\n", "가\n\n나"),
        ("   ", ""),
        ("{0}의 <PAColor0xff>검<PAOldColor>", "{0}의 <PAColor0xff>검<PAOldColor>"),
    ],
)
def test_normalize(raw, key):
    assert normalize(raw) == key


def test_lines_and_counts():
    assert line_count("가<br/>나\\n다") == 3
    assert line_count("가\n나") == 2
    assert line_count("  ") == 0
    assert line_count("가") == 1
    assert unify_newlines("a\rb") == "a\nb"


def test_find_tags():
    text = "{0}의 <PAColor0xffe9bd23>검<PAOldColor><br/>{ItemName}"
    assert find_tags(text) == ["{0}", "<PAColor0xffe9bd23>", "<PAOldColor>", "<br/>", "{ItemName}"]
    assert find_tags(text, with_br=False) == [
        "{0}",
        "<PAColor0xffe9bd23>",
        "<PAOldColor>",
        "{ItemName}",
    ]


def test_protect_and_restore_round_trip():
    text = "Take {0} <PAColor0xff>now<PAOldColor>!"
    masked, tags = protect(text)
    assert "{" not in masked and "<" not in masked
    assert len(masked) == len("Take X XnowX!")
    assert restore(masked, tags) == text


def test_missing_tags():
    assert missing_tags("{0}의 {1}", "{1} of {0}") == []
    assert missing_tags("{0}의 {0}", "{0}") == ["{0}"]
    assert missing_tags("<PAColor0xff>가<PAOldColor>", "a") == ["<PAColor0xff>", "<PAOldColor>"]
    assert missing_tags("가<br/>나", "a b") == []


def test_carry_tags_pairs_by_position():
    assert carry_tags("Sword of {0}", "{0}의 검", "{1}의 검") == "Sword of {1}"
    assert carry_tags("{1} and {0}", "{0}와 {1}", "{A}와 {B}") == "{B} and {A}"
    # Unchanged when ambiguous: counts differ or a tag would map to two tags.
    assert carry_tags("x {0}", "{0}", "{0} {1}") == "x {0}"
    assert carry_tags("{0} {0}", "{0} {0}", "{1} {2}") == "{0} {0}"
