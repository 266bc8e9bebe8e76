"""The README's settings table is the whole truth about environment variables: every variable a
settings class reads (current and earlier names) and every one the code or scripts read has a
row, every row is read by something, and plain defaults in the table are the classes' own."""

from __future__ import annotations

import re
from pathlib import Path

from locanext.settings import SETTINGS, variables
from tests import pg

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("engine", "replicator", "central", "web_admin", "shell", "locanext", "bench", "scripts")
VARIABLE = re.compile(r"\bLOCANEXT_[A-Z0-9_]*[A-Z0-9]\b")


def _settings_rows() -> dict[str, str]:
    """Variable -> its row, from the table of the README's Settings section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `(LOCANEXT_[A-Z0-9_]+)` \|", line)
        if found:
            rows[found.group(1)] = line
    return rows


def _read_by_code(*parts: str) -> set[str]:
    names: set[str] = set()
    for part in parts:
        for path in (ROOT / part).rglob("*"):
            if path.suffix in (".py", ".sh") and path.is_file():
                names |= set(VARIABLE.findall(path.read_text(encoding="utf-8")))
    return names


def _settings_variables() -> set[str]:
    return {
        name for cls in SETTINGS for field in cls.model_fields for name in variables(cls, field)
    }


def test_every_settings_variable_has_a_readme_row() -> None:
    rows = _settings_rows()
    missing = [
        f"{cls.__name__}.{field}: {name}"
        for cls in SETTINGS
        for field in cls.model_fields
        for name in variables(cls, field)
        if name not in rows
    ]
    assert not missing, "no README Settings row for " + ", ".join(missing)


def test_every_variable_the_code_reads_has_a_row_and_every_row_is_read() -> None:
    rows = _settings_rows()
    read = _read_by_code(*PRODUCT) | _settings_variables()
    assert not read - rows.keys(), (
        f"read but not in the README's table: {sorted(read - rows.keys())}"
    )
    assert not rows.keys() - read, (
        f"in the README's table, read by nothing: {sorted(rows.keys() - read)}"
    )


def test_the_tests_server_variable_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{pg.ENV_DSN}`" in readme


def test_plain_defaults_in_the_table_are_the_settings_own() -> None:
    rows = _settings_rows()
    for cls in SETTINGS:
        for field, info in cls.model_fields.items():
            value = info.get_default(call_default_factory=False)
            if isinstance(value, bool) or not isinstance(value, (int, float, str)) or value == "":
                continue  # paths, none and empty defaults are described in words
            shown = f"`{value:g}`" if isinstance(value, float) else f"`{value}`"
            default_cell = rows[variables(cls, field)[0]].split(" | ")[1]
            assert shown in default_cell, f"{cls.__name__}.{field}: README says {default_cell}"
