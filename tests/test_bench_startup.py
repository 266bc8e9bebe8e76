"""`locanext bench tools --only startup` end to end with two runs of each figure: real
`locanext tool` processes and real worker processes; the figures are not judged (this is not a
timed test), only that every run succeeded and the report says what it measured."""

from __future__ import annotations

import pytest

from bench import startup
from shell.processes import run as locanext

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_bench_startup_times_real_runs() -> None:
    report = startup.run(runs=2)
    names = [f.name for f in report.figures]
    assert names == [
        "tiny CLI job, worker started with the CLI",
        "tiny CLI job, worker started at submit (no spare)",
        "two bare Python starts (the floor)",
        "submit -> worker running, spare worker waiting",
        "submit -> worker running, worker spawned for it",
    ]
    assert all(len(f.seconds) == 2 and min(f.seconds) > 0 for f in report.figures)
    assert "target p95 < 150 ms: " in report.lines()[4]


def test_bench_tools_command_prints_the_startup_figures() -> None:
    done = locanext("bench", "tools", "--only", "startup", "--runs", "1", timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Tool start-up: text_stats on a two-line file, 1 run(s) of each")
    assert any(line.startswith("submit -> worker running, spare worker waiting") for line in lines)
    assert "XLS Transfer" not in done.stdout
