"""Placeholders of the syntaxes translators meet, and the check every fill runs."""

from __future__ import annotations

from engine.text.placeholders import compare, find


def test_printf_forms() -> None:
    assert find("%s of %d, %1$s, %(name)s, %5.2f, %-3ld, 100%% done") == [
        "%s",
        "%d",
        "%1$s",
        "%(name)s",
        "%5.2f",
        "%-3ld",
    ]
    assert find("100% sure, 50%의 확률") == []


def test_brace_icu_and_tags() -> None:
    assert find("{0} and {name} and {0:>8}") == ["{0}", "{name}", "{0:>8}"]
    icu = "You have {count, plural, one {# item} other {# items}} in {place}"
    assert find(icu) == ["{count, plural}", "{place}"]
    assert find("<b>Bold</b> <a href='x'>link</a><br/>") == ["<b>", "</b>", "<a href='x'>", "</a>"]
    assert find("<PAColor0xffe9bd23>경고<PAOldColor> <강화> a < b") == [
        "<PAColor0xffe9bd23>",
        "<PAOldColor>",
    ]


def test_compare_counts_missing_and_extra() -> None:
    assert compare("%s has {0}", "{0}이 %s를") == ([], [])
    assert compare("%s has %d", "%s has %s") == (["%d"], ["%s"])
    assert compare("{0}의 검", "Sword of {1}") == (["{0}"], ["{1}"])
    icu = "{n, plural, one {# file} other {# files}}"
    assert compare(icu, "{n, plural, other {파일 #개}}") == ([], [])
    assert compare("plain", "text") == ([], [])
