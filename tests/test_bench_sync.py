"""`locanext bench sync` end to end with tiny sizes: real central and sync processes, a real
PostgreSQL; the figures are not judged (this is not a timed test), only that each part produced
them and that the mirror held exactly what was written."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from bench import sync as bench_sync
from central.db import normalize_dsn

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _bench_databases(server: str) -> set[str]:
    engine = create_engine(normalize_dsn(server), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            names = conn.execute(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'locanext_bench_%'")
            ).scalars()
            return set(names)
    finally:
        engine.dispose()


def test_bench_sync_reports_three_parts_and_an_exact_mirror(pg_server: str, tmp_path: Path):
    before = _bench_databases(pg_server)
    report = bench_sync.run(
        dsn=pg_server, changes=5_000, ingest_changes=2_000, samples=5, workdir=tmp_path
    )

    assert [s.name for s in report.sections] == ["ingest", "catchup", "latency"]
    ingest, catchup, latency = report.sections
    for section, names in (
        (ingest, ("copy_rate", "merge_rate", "ratio", "hub_rate", "hub_ratio")),
        (catchup, ("seconds", "rate", "sync_rss_mb", "central_rss_mb")),
        (latency, ("p50_ms", "p99_ms")),
    ):
        for name in names:
            value = section.figures[name]
            assert math.isfinite(value) and value > 0, (section.name, name, value)
        assert section.targets and section.lines
    assert ingest.figures["changes"] == 2_000
    assert catchup.figures["changes"] >= 5_000
    assert catchup.figures["mirror_rows"] == catchup.figures["rows"]
    assert latency.figures["samples"] == 5
    assert ingest.checks == {"mirror_exact": True, "hub_exact": True}
    assert catchup.checks == {"mirror_exact": True}
    assert report.checks_passed

    lines = report.lines()
    assert any("ingest =" in line and "of bare COPY" in line for line in lines)
    assert any("central / cr-sqlite =" in line for line in lines)
    assert any(line.startswith("  wall time") for line in lines)
    assert any(line.startswith("  p99") for line in lines)
    assert all(("PASS" in line) != ("MISS" in line) for line in lines if "target <" in line)
    assert _bench_databases(pg_server) == before  # scratch databases are dropped


def test_bench_sync_refuses_an_unknown_part(pg_server: str) -> None:
    with pytest.raises(ValueError, match="unknown part"):
        bench_sync.run(dsn=pg_server, only="everything")
