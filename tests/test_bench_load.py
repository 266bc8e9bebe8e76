"""`locanext bench load --quick` end to end: a real central process, a real PostgreSQL, a small
fleet of simulated installs over real HTTP. The figures are not judged (this is not a timed
test); the checks are: every change in the mirror exactly once, the glossary equal to a
cr-sqlite hub's, the announcement seen by every install, and nothing refused."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench import load as bench_load

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_bench_load_quick_reports_every_part_and_an_exact_mirror(pg_server: str, tmp_path: Path):
    sizes = bench_load.Sizes.quick()
    report = bench_load.run(dsn=pg_server, sizes=sizes, workdir=tmp_path)

    names = [s.name for s in report.sections]
    assert names == ["steady", "fanout", "monday", "mirror", "workers"]
    steady, fanout, monday, mirror, workers = report.sections
    run = [n for n in sizes.levels if f"n{n}_errors" in steady.figures]
    assert run[0] == min(sizes.levels)  # larger sizes run while the smaller ones held
    for count in run:
        assert steady.figures[f"n{count}_errors"] == steady.figures[f"n{count}_ramp_errors"] == 0
        assert steady.figures[f"n{count}_pushes_per_s"] > 0
        assert math.isfinite(steady.figures[f"n{count}_push_p99_ms"])
    assert steady.figures["largest_n"] in (0, *run)
    assert fanout.checks == {"seen_by_all": True}
    assert fanout.figures["seen"] == fanout.figures["installs"] == run[-1]
    assert monday.figures["errors"] == 0
    assert monday.figures["changes"] >= sizes.monday_installs * sizes.monday_changes
    assert mirror.checks == {"exactly_once": True, "equals_hub": True}
    assert mirror.figures["mb_per_million"] > 0
    assert workers.figures["one"] > 0 and workers.figures["two"] > 0
    assert report.checks_passed
    lines = report.lines()
    assert any("largest N with push p99" in line for line in lines)
    assert any("| ramp: push p99" in line for line in lines)  # first rounds, shown apart
    assert any("first acknowledgement: median" in line for line in lines)
