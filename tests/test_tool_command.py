"""`locanext tool` as a user meets it in a terminal: list parameters, per-function help, a
summary with a table of results (or JSON), and one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.tools.registry import registry
from shell.processes import run as locanext

STRINGS = (
    "Q\t1\t0\t0\tquest_001\t전설의 검을 찾아라\tFind the sword of legends\n"
    "Q\t1\t0\t0\titem_sword\t검\tBlade\n"
    "Q\t1\t0\t0\titem_shield\t방패\tShield\n"
)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A data dir holding the Quick Search dictionary demo-en built from STRINGS."""
    folder = tmp_path_factory.mktemp("tool-cli")
    source = folder / "strings_en.txt"
    source.write_text(STRINGS, encoding="utf-8")
    built = locanext(
        "tool", "quick_search", "-f", "build_dictionary", str(source),
        "-p", "game=demo", "-p", "language=en", "--data-dir", str(folder / "data"),
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert "entries 3" in built.stdout
    return str(folder / "data")


def search(data: str, *args: str) -> dict:
    result = locanext(
        "tool", "quick_search", "-f", "search", "-p", "dictionary=demo-en", "-p", "query=sword",
        "--data-dir", data, "--json", *args,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def hits(record: dict) -> list[str]:
    return sorted(row["string_id"].split("\t")[-1] for row in record["summary"]["results"])


def test_list_parameters_take_commas_and_repeated_p(data: str) -> None:
    assert hits(search(data)) == ["item_sword", "quest_001"]
    assert hits(search(data, "-p", "fields=translation")) == ["quest_001"]
    assert hits(search(data, "-p", "fields=string_id")) == ["item_sword"]
    both = ["item_sword", "quest_001"]
    assert hits(search(data, "-p", "fields=translation,string_id")) == both
    assert hits(search(data, "-p", "fields=translation", "-p", "fields=string_id")) == both


def test_the_default_output_is_a_summary_and_a_table_of_the_hits(data: str) -> None:
    result = locanext(
        "tool", "quick_search", "-f", "search", "-p", "dictionary=demo-en", "-p", "query=검",
        "-p", "fields=source", "--data-dir", data,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("quick_search.search: dictionary demo-en · queries 1 · total 2")
    header = lines[2].split()
    assert header == ["query", "string_id", "source", "translation"]
    assert set(lines[3]) <= {"─", " "}
    rows = lines[4:6]
    assert any("전설의 검을 찾아라" in r and "Find the sword of legends" in r for r in rows)
    assert any("Blade" in r for r in rows)
    assert any(line.startswith("wrote ") and line.endswith(".tsv") for line in lines)
    assert lines[-1].startswith("operation ") and lines[-1].endswith(" succeeded")
    assert "{" not in result.stdout

    short = locanext(
        "tool", "quick_search", "-f", "search", "-p", "dictionary=demo-en", "-p", "query=검",
        "-p", "fields=source", "--rows", "1", "--data-dir", data,
    )  # fmt: skip
    assert "… 1 more rows in " in short.stdout
    assert sum("Blade" in line or "legends" in line for line in short.stdout.splitlines()) == 1


def test_json_prints_the_whole_record(data: str) -> None:
    record = search(data, "-p", "fields=translation")
    assert record["state"] == "succeeded" and record["tool"] == "quick_search"
    assert record["summary"]["total"] == 1
    assert Path(record["outputs"][0]).is_file()


def test_help_of_a_tool_shows_every_parameter_with_type_default_and_help() -> None:
    for tool in registry().values():
        result = locanext("tool", tool.name, "--help")
        assert result.returncode == 0, result.stderr
        for fn in tool.functions:
            assert f"--function {fn.name}" in result.stdout
            for name, info in fn.params.model_fields.items():
                assert f"-p {name} " in result.stdout, (tool.name, fn.name, name)
                assert info.description and info.description in result.stdout
    one = locanext("tool", "quick_search", "-f", "search", "--help").stdout
    assert "--function extract_glossary" not in one
    lines = {line.split()[1]: line for line in one.splitlines() if line.startswith("  -p ")}
    assert "list of source|translation|string_id" in lines["fields"]
    assert "default source,translation,string_id" in lines["fields"]
    assert lines["dictionary"].endswith("text; required")
    assert lines["mode"].endswith("one of contains|exact; default contains")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-p", "mode=sometimes"], "mode: Input should be 'contains' or 'exact'"),
        (["-p", "fields=translation,nope"], "fields.1: Input should be"),
        (["-p", "mode"], "parameters are KEY=VALUE; got 'mode'"),
        (["-p", "mode=exact", "-p", "mode=contains"], "parameter 'mode' given twice"),
        (["-p", "colour=red"], "colour: Extra inputs are not permitted"),
    ],
)
def test_a_bad_parameter_is_refused_in_one_line(data: str, args: list[str], message: str) -> None:
    result = locanext(
        "tool", "quick_search", "-f", "search", "-p", "dictionary=demo-en", "-p", "query=x",
        "--data-dir", data, *args,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr
    assert "Traceback" not in result.stderr
