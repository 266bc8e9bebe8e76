"""`locanext bench ...`: performance figures against a baseline measured in the same run."""

from __future__ import annotations

from typing import Annotated

import typer

bench_app = typer.Typer(
    help="Benchmarks. Each prints LocaNext's figure next to a baseline measured in the same run, "
    "and the ratio between them.",
    no_args_is_help=True,
)


@bench_app.command("tools")
def tools(
    rows: Annotated[
        int, typer.Option(help="Rows in the generated corpus and dictionary.")
    ] = 100_000,
    sample: Annotated[
        int, typer.Option(help="Rows matched by the naive baseline (it is slow).")
    ] = 200,
) -> None:
    """Dictionary build, exact and fuzzy transfer (threshold 0.90) in rows/s, next to a naive
    rapidfuzz baseline on a sample; checks both find the same matches."""
    from bench import tools as bench_tools

    for line in bench_tools.run(rows=rows, sample=sample).lines():
        typer.echo(line)
