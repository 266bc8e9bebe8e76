"""`locanext bench app` end to end with two starts: real `locanext app --headless` processes; the
figures are not judged (this is not a timed test), only that each start served the real home page
and that the report says what it measured."""

from __future__ import annotations

import pytest

from bench import app as bench_app
from shell.processes import run as locanext

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_bench_app_times_real_starts() -> None:
    report = bench_app.run(runs=2)
    assert len(report.starts) == len(report.baseline) == 2
    assert all(s > 0 for s in [*report.starts, *report.baseline, report.first_start])
    assert report.page_bytes > 1000  # the home page itself, not an error
    lines = report.lines()
    assert lines[1].startswith("start to a usable page (median)")
    assert lines[-1].startswith("target < 1.5 s: ")


def test_bench_app_command() -> None:
    done = locanext("bench", "app", "--runs", "1", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "baseline: import the engine, no NiceGUI" in done.stdout
