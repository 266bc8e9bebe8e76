"""`locanext bench ...`: performance figures against a baseline measured in the same run."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from central.settings import DEFAULT_SERVER_DSN

bench_app = typer.Typer(
    help="Benchmarks. Each prints LocaNext's figure next to a baseline measured in the same run, "
    "and the ratio between them.",
    no_args_is_help=True,
)


class ToolsPart(StrEnum):
    transfer = "transfer"
    startup = "startup"


@bench_app.command("tools")
def tools(
    rows: Annotated[
        int, typer.Option(help="Rows in the generated corpus and dictionary.")
    ] = 100_000,
    sample: Annotated[
        int, typer.Option(help="Rows matched by the naive baseline (it is slow).")
    ] = 200,
    runs: Annotated[int, typer.Option(min=1, help="Timed runs of each start-up figure.")] = 20,
    only: Annotated[ToolsPart | None, typer.Option(help="Run only this part.")] = None,
) -> None:
    """Dictionary build, exact and fuzzy transfer (threshold 0.90) in rows/s, next to a naive
    rapidfuzz baseline on a sample (checks both find the same matches); then start-up: a tiny
    `locanext tool` job and submit-to-running (p50, p95), with a spare worker and without."""
    if only in (None, ToolsPart.transfer):
        from bench import tools as bench_tools

        for line in bench_tools.run(rows=rows, sample=sample).lines():
            typer.echo(line)
    if only in (None, ToolsPart.startup):
        from bench import startup

        for line in startup.run(runs=runs).lines():
            typer.echo(line)


class SyncPart(StrEnum):
    ingest = "ingest"
    catchup = "catchup"
    latency = "latency"


@bench_app.command("sync")
def sync(
    dsn: Annotated[
        str,
        typer.Option(
            help="PostgreSQL server; each part works in a scratch database locanext_bench_<hex> "
            "created there and dropped at the end."
        ),
    ] = DEFAULT_SERVER_DSN,
    changes: Annotated[
        int, typer.Option(help="Own changes queued in the engine.db that catch-up drains.")
    ] = 1_000_000,
    ingest_changes: Annotated[
        int, typer.Option(help="Changes merged (and bare-COPYed) by the ingest part.")
    ] = 200_000,
    samples: Annotated[int, typer.Option(help="Operations timed by the latency part.")] = 100,
    only: Annotated[SyncPart | None, typer.Option(help="Run only this part.")] = None,
) -> None:
    """Sync: central's batch merge next to a bare PostgreSQL COPY; a 1M-change catch-up by
    `locanext sync --once` (wall time, peak RSS); commit-to-mirror latency (p50, p99). Exits 1
    if the mirror does not hold exactly what was written."""
    from bench import sync as bench_sync
    from central.db import ensure_database

    ensure_database(dsn, create=False)  # an unreachable server: one line before any work
    report = bench_sync.run(
        dsn=dsn,
        changes=changes,
        ingest_changes=ingest_changes,
        samples=samples,
        only=only.value if only else None,
        progress=lambda line: typer.echo(line, err=True),
    )
    for line in report.lines():
        typer.echo(line)
    if not report.checks_passed:
        raise typer.Exit(1)


@bench_app.command("load")
def load(
    dsn: Annotated[
        str,
        typer.Option(
            help="PostgreSQL server; central works in a scratch database locanext_bench_<hex> "
            "created there and dropped at the end."
        ),
    ] = DEFAULT_SERVER_DSN,
    levels: Annotated[
        str, typer.Option(help="Fleet sizes of the steady state, comma separated.")
    ] = "100,250,500,1000",
    duration: Annotated[float, typer.Option(help="Seconds of steady state per size.")] = 20.0,
    monday_installs: Annotated[
        int, typer.Option(help="Installs coming back at once on Monday morning.")
    ] = 200,
    monday_changes: Annotated[int, typer.Option(help="Changes each of them has queued.")] = 5_000,
    workers: Annotated[int, typer.Option(help="`locanext central --workers`.")] = 1,
    quick: Annotated[
        bool, typer.Option("--quick", help="Tiny sizes, for a test; ignores the sizes above.")
    ] = False,
) -> None:
    """A fleet of simulated installs against a real `locanext central`: steady state at growing
    sizes (pushes/s, changes/s, push and pull p50/p99, errors, central's CPU and RSS, PostgreSQL
    connections; the largest size with push p99 < 500 ms and no error), an announcement's
    fan-out, Monday morning's catch-up and its fairness. Exits 1 if the mirror afterwards does
    not hold every change exactly once, or differs from a cr-sqlite hub."""
    from bench import load as bench_load

    if quick:
        sizes = bench_load.Sizes.quick()
    else:
        try:
            sizes_levels = tuple(int(n) for n in levels.split(","))
        except ValueError:
            raise typer.BadParameter("comma separated numbers", param_hint="--levels") from None
        sizes = bench_load.Sizes(
            levels=sizes_levels,
            duration=duration,
            monday_installs=monday_installs,
            monday_changes=monday_changes,
        )
    report = bench_load.run(
        dsn=dsn, sizes=sizes, workers=workers, progress=lambda line: typer.echo(line, err=True)
    )
    for line in report.lines():
        typer.echo(line)
    if not report.checks_passed:
        raise typer.Exit(1)


@bench_app.command("app")
def app_start(
    runs: Annotated[int, typer.Option(help="Timed starts (after one first start).")] = 7,
) -> None:
    """Desktop app: spawn of `locanext app --headless` to its first page, offline (median of
    starts on an existing engine.db, and a first start), next to a process that only imports the
    engine without NiceGUI; says whether the median meets 1.5 s."""
    from bench import app as bench_app_start

    for line in bench_app_start.run(runs=runs).lines():
        typer.echo(line)


@bench_app.command("admin")
def admin(
    dsn: Annotated[
        str,
        typer.Option(
            help="PostgreSQL server; the bench works in a scratch database locanext_bench_<hex> "
            "created there and dropped at the end."
        ),
    ] = DEFAULT_SERVER_DSN,
    operations: Annotated[int, typer.Option(help="Operations seeded into the mirror.")] = 1_000_000,
    events: Annotated[int, typer.Option(help="Events seeded into the mirror.")] = 2_000_000,
    installs: Annotated[int, typer.Option(help="Installs (with enrollments) seeded.")] = 300,
    users: Annotated[int, typer.Option(help="Users seeded.")] = 200,
    repeats: Annotated[int, typer.Option(help="Timed loads of each page's data.")] = 30,
    samples: Annotated[int, typer.Option(help="Merges timed by the live part.")] = 100,
) -> None:
    """Admin console at team scale: each page's data load (p50, p95), a streamed 1M-row CSV
    export (rows/s, RSS growth), merge commit to live row (p50, p99), on a seeded mirror."""
    from bench import admin as bench_admin

    report = bench_admin.run(
        dsn=dsn,
        users=users,
        installs=installs,
        operations=operations,
        events=events,
        repeats=repeats,
        samples=samples,
        progress=lambda line: typer.echo(line, err=True),
    )
    for line in report.lines():
        typer.echo(line)
    if not report.checks_passed:
        raise typer.Exit(1)
