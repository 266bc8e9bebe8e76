"""Reading `-p KEY=VALUE` against a function's model, describing the model for --help, and the
results table."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field
from rich.cells import cell_len

from locanext.tool_output import table
from locanext.tool_params import ParamError, describe, parse


class Model(BaseModel):
    name: str = Field(..., description="A name.")
    tags: list[str] = Field(["a"], description="Tags.")
    files: list[Path] | None = Field(None, description="Files.")
    mode: Literal["fast", "slow"] = Field("fast", description="How.")
    limit: int = Field(5, description="At most.")


def test_lists_take_commas_and_repeats_paths_only_repeats() -> None:
    params = parse(Model, ["name=x", "tags=b, c", "tags=d", "files=a,b.txt", "files=c.txt"])
    assert params == {"name": "x", "tags": ["b", "c", "d"], "files": ["a,b.txt", "c.txt"]}
    assert parse(Model, ["tags="]) == {"tags": []}
    assert Model.model_validate({**params, "limit": "7"}).limit == 7


def test_a_single_value_given_twice_or_without_a_key_is_refused() -> None:
    with pytest.raises(ParamError, match="'mode' given twice"):
        parse(Model, ["mode=fast", "mode=slow"])
    with pytest.raises(ParamError, match="KEY=VALUE; got 'mode'"):
        parse(Model, ["mode"])
    with pytest.raises(ParamError, match="KEY=VALUE; got '=x'"):
        parse(Model, ["=x"])


def test_the_help_names_type_default_and_help_of_each_parameter() -> None:
    lines = list(describe(Model))
    assert lines[0] == "  -p name   text; required"
    assert lines[1].strip() == "A name."
    assert "list of text (a,b,c or repeated -p); default a" in lines[2]
    assert "list of path (repeat -p); default none" in lines[4]
    assert lines[6].endswith("one of fast|slow; default fast")
    assert lines[8].endswith("integer; default 5")


def test_a_table_fits_the_room_and_counts_korean_characters_double() -> None:
    rows = [["quest_001", "전설의 검을 찾아라", "Find the legendary sword\nand return"]]
    lines = list(table(["string_id", "source", "translation"], rows, room=200))
    assert lines[2] == "quest_001  전설의 검을 찾아라  Find the legendary sword⏎and return"
    assert lines[0].index("source") == lines[2].index("전")
    narrow = list(table(["string_id", "source", "translation"], rows, room=40))
    assert all(cell_len(line) <= 40 for line in narrow)
    assert narrow[2].startswith("quest_001  전설의 검을 ") and narrow[2].endswith("…")
