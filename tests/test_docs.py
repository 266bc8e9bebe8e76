"""The docs can't drift: every file and module README.md and ARCHITECTURE.md name exists, every
figure they state about the code is the code's own, every command is documented, and nothing in
the repository cites a file outside it. (Datasette keeps its docs honest the same way.)

A sentence that changes its wording fails here too: update the figure's pattern with it.
"""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "ARCHITECTURE.md")
PACKAGES = ("engine", "central", "replicator", "shell", "web_admin", "locanext", "bench", "tests")
# A backticked token that names a path in the repository (placeholders like <tool> excluded).
PATH = re.compile(r"`((?:{}|scripts|\.ci)/[\w./-]*)`".format("|".join(PACKAGES)))
MODULE = re.compile(r"`((?:{})(?:\.\w+)+)`".format("|".join(p for p in PACKAGES if p != "tests")))


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def _default(function: Callable, parameter: str):
    return inspect.signature(function).parameters[parameter].default


@pytest.mark.parametrize("doc", DOCS)
def test_files_the_docs_name_exist(doc: str) -> None:
    missing = sorted({p for p in PATH.findall(_text(doc)) if not (ROOT / p).exists()})
    assert not missing, f"{doc} names files that are not in the repository: {missing}"


def _resolves(dotted: str) -> bool:
    """A module, or an attribute of the longest importable module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


@pytest.mark.parametrize("doc", DOCS)
def test_modules_and_names_the_docs_cite_exist(doc: str) -> None:
    missing = sorted({m for m in MODULE.findall(_text(doc)) if not _resolves(m)})
    assert not missing, f"{doc} cites modules or names the code does not have: {missing}"


def test_nothing_cites_a_file_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    outside = re.compile(r"DESIGN\.md|MISSION\.md|STYLE\.md|SURFACES\.md|\.\./shared|/work/")
    citing = [
        name
        for name in tracked
        if name != "tests/test_docs.py"
        and (ROOT / name).suffix in (".py", ".md", ".sh", ".toml", "")
        and (ROOT / name).is_file()
        and outside.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert not citing, f"these files cite files outside the repository: {citing}"


def _figures() -> list[tuple[str, str, Callable[[], object]]]:
    """(doc, pattern with one group per figure, the code's own figures as strings)."""
    from central import group_commit
    from central.enrollments import TOKEN_LIFETIME
    from central.pull import PULL_BYTES
    from central.schema_policy import SCHEMA_VERSION as CENTRAL_SCHEMA
    from central.settings import CentralSettings
    from engine.db import MAX_VALUE_BYTES
    from engine.migrations import SCHEMA_VERSION
    from engine.operations import ERROR_CHARS
    from engine.runtime import EngineRuntime
    from engine.sync_state import STUCK_ROUNDS
    from engine.tasks import supervisor, worker
    from replicator import backoff, loop
    from replicator.wire import MAX_BODY_BYTES, MAX_CHANGES_PER_PUSH, MIN_BODY_BYTES
    from tests.e2e import test_large_backlog as backlog
    from tests.e2e import test_replication_faults as faults

    central = CentralSettings.model_fields
    return [
        ("ARCHITECTURE.md", r"pushes of about ([\d,]+) changes",
         lambda: f"{_default(loop.push_all, 'target'):,}"),
        ("README.md", r"about ([\d,]+) changes a push",
         lambda: f"{_default(loop.push_all, 'target'):,}"),
        ("ARCHITECTURE.md", r"transaction larger than ([\d,]+) changes is split",
         lambda: f"{MAX_CHANGES_PER_PUSH:,}"),
        ("ARCHITECTURE.md", r"at most (\w+) run at once",
         lambda: {2: "two"}.get(_default(EngineRuntime.__init__, "task_workers"), "?")),
        ("ARCHITECTURE.md", r"throttled to (\d+)/s", lambda: f"{1 / worker.SEND_INTERVAL:.0f}"),
        ("ARCHITECTURE.md", r"then SIGKILL after (\d+) s",
         lambda: f"{supervisor.TERMINATE_GRACE:.0f}"),
        ("ARCHITECTURE.md", r"a push of (\d+) transactions of (\d+) events",
         lambda: (str(faults.TRANSACTIONS), str(faults.EVENTS_PER_TRANSACTION))),
        ("ARCHITECTURE.md", r"\(413, (\d+) MiB before", lambda: str(MAX_BODY_BYTES // 2**20)),
        ("README.md", r"except sync pushes \((\d+) MiB\)", lambda: str(MAX_BODY_BYTES // 2**20)),
        ("ARCHITECTURE.md", r"a value over (\d+) MiB\s+\(`engine",
         lambda: str(MAX_VALUE_BYTES // 2**20)),
        ("README.md", r"holds at most (\d+) MiB", lambda: str(MAX_VALUE_BYTES // 2**20)),
        ("ARCHITECTURE.md", r"limit below (\d+) MiB", lambda: str(MIN_BODY_BYTES // 2**20)),
        ("README.md", r"at least (\d+) MiB; installs", lambda: str(MIN_BODY_BYTES // 2**20)),
        ("ARCHITECTURE.md", r"clipped to ([\d,]+) characters", lambda: f"{ERROR_CHARS:,}"),
        ("ARCHITECTURE.md", r"after (\d+) MiB of values\s+\(`central",
         lambda: str(PULL_BYTES // 2**20)),
        ("ARCHITECTURE.md", r"changes or (\d+) MiB of\s+values", lambda: str(PULL_BYTES // 2**20)),
        ("ARCHITECTURE.md",
         r"backlog of (\d+) transactions of one (\d+) KB note, one transaction of\s+(\d+)",
         lambda: (str(backlog.SEPARATE_TERMS), str(backlog.NOTE_CHARS // 1000),
                  str(backlog.TERMS_IN_ONE_TRANSACTION))),
        ("ARCHITECTURE.md", r"\((\d+) days unused\)", lambda: str(TOKEN_LIFETIME.days)),
        ("ARCHITECTURE.md", r"`central\.\w+\.SCHEMA_VERSION`, now (\d+)",
         lambda: str(CENTRAL_SCHEMA)),
        ("ARCHITECTURE.md", r"`central\.\w+\.SCHEMA_VERSION`, now (\d+)",
         lambda: str(SCHEMA_VERSION)),
        ("ARCHITECTURE.md", r"\((\d+) ms debounce\)",
         lambda: f"{_default(loop.Syncer.__init__, 'debounce') * 1000:.0f}"),
        ("README.md", r"limited to (\d+) KiB",
         lambda: str(central["max_request_bytes"].default // 1024)),
        ("ARCHITECTURE.md", r"\(up to (\d+)\s+pushes or ([\d,]+) changes\)",
         lambda: (str(group_commit.MAX_PUSHES), f"{group_commit.MAX_CHANGES:,}")),
        ("README.md", r"session ends after (\d+) minutes unused",
         lambda: str(central["staff_idle_timeout_s"].default // 60)),
        ("ARCHITECTURE.md", r"doubling up to (\d+) minutes",
         lambda: f"{backoff.MAX_DELAY / 60:.0f}"),
        ("README.md", r"doubling up to\s+every (\d+) minutes",
         lambda: f"{backoff.MAX_DELAY / 60:.0f}"),
        ("ARCHITECTURE.md", r"it waits `replicator\.backoff\.retry_delay`: ([\d.]+) s",
         lambda: f"{backoff.FIRST_DELAY:g}"),
        ("ARCHITECTURE.md", r"refused the same way (\d+) rounds in a row",
         lambda: str(STUCK_ROUNDS)),
        ("README.md", r"refuses the same way (\d+) rounds in a row",
         lambda: str(STUCK_ROUNDS)),
        ("ARCHITECTURE.md", r"one probe every (\d+) minutes",
         lambda: f"{loop.PARKED_PROBE / 60:.0f}"),
        ("README.md", r"but once every (\d+) minutes",
         lambda: f"{loop.PARKED_PROBE / 60:.0f}"),
    ]  # fmt: skip


def test_figures_the_docs_state_are_the_codes_own() -> None:
    wrong = []
    for doc, pattern, actual in _figures():
        found = re.search(pattern, _text(doc))
        if found is None:
            wrong.append(f"{doc}: no sentence matches {pattern!r} any more")
            continue
        expected = actual()
        expected = expected if isinstance(expected, tuple) else (expected,)
        if found.groups() != expected:
            wrong.append(f"{doc}: {found.group(0)!r} but the code says {expected}")
    assert not wrong, "\n".join(wrong)


def _commands() -> set[str]:
    """Every `locanext` command and sub-command path, from the typer app itself."""
    import typer.main

    from locanext.cli import app

    names: set[str] = set()

    def walk(group, prefix: str) -> None:
        for name, command in getattr(group, "commands", {}).items():
            if command.hidden:
                continue
            path = f"{prefix} {name}".strip()
            names.add(path)
            walk(command, path)

    walk(typer.main.get_command(app), "")
    return names


def test_every_command_has_a_row_in_the_readme_and_every_row_is_a_command() -> None:
    readme = _text("README.md")
    section = readme.split("\n## The command line\n", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for row in re.findall(r"^\| `locanext ([^`]+)`", section, flags=re.M):
        first, *rest = row.split()
        documented.add(first)
        if rest and re.fullmatch(r"[a-z-]+(\\?\|[a-z-]+)*", rest[0]):  # `users list\|add`
            documented |= {f"{first} {sub}" for sub in re.split(r"\\?\|", rest[0])}
    commands = _commands()
    groups = {c.rsplit(" ", 1)[0] for c in commands if " " in c}
    undocumented = sorted(c for c in commands if c not in documented and c not in groups)
    assert not undocumented, f"commands without a row in README's command table: {undocumented}"
    leaves = {c for c in commands if c not in groups}
    stale = sorted(
        row for row in re.findall(r"^\| `locanext ([a-z-]+)", section, flags=re.M)
        if row not in commands
    )  # fmt: skip
    assert leaves and not stale, f"README rows for commands that do not exist: {stale}"
