"""`locanext`: the one console script. Each command composes the packages; errors from them are
turned into a one-line message and a non-zero exit code here, and only here."""

from __future__ import annotations

import getpass
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.db import Database
    from engine.settings import EngineSettings
    from locanext.fuzz.campaign import FuzzPlan, Outcome

app = typer.Typer(
    help="LocaNext: offline-first localization workbench with a replicated activity log.\n\n"
    "Desktop side: `app`, `tool`, `enroll`, `sync`. Server side: `central`, `admin`. "
    "Everything at once on sample data: `demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from locanext.bench_commands import bench_app  # noqa: E402

app.add_typer(bench_app, name="bench")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", help="Directory of this install's engine.db (env LOCANEXT_DATA_DIR)."
    ),
]
Dsn = Annotated[
    str | None,
    typer.Option(
        "--dsn",
        envvar="LOCANEXT_CENTRAL_DSN",
        help="PostgreSQL URL of the mirror. Without it, a private cluster under the data dir.",
    ),
]


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _engine_settings(data_dir: Path | None) -> EngineSettings:
    from engine.settings import EngineSettings

    return EngineSettings(data_dir=data_dir) if data_dir is not None else EngineSettings()


def _open_db(data_dir: Path | None) -> Database:
    from engine.db import Database
    from engine.errors import EngineError

    try:
        return Database(_engine_settings(data_dir).db_path)
    except EngineError as exc:
        raise _fail(str(exc)) from None


@app.command("app")
def app_command(
    data_dir: DataDir = None,
    headless: Annotated[
        bool, typer.Option(help="Serve the UI and print its URL instead of opening a window.")
    ] = False,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="Do not run the sync loop.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the desktop app: a window on the engine's UI (headless without a display)."""
    from engine.errors import EngineError
    from shell.desktop import run_desktop

    _logging(verbose)

    def ready(url: str, windowed: bool) -> None:
        typer.echo(f"LocaNext app: {url}/" + ("" if windowed else "  (headless; Ctrl-C to stop)"))

    try:
        code = run_desktop(
            _engine_settings(data_dir), headless=headless, sync=not no_sync, on_ready=ready
        )
    except EngineError as exc:
        raise _fail(str(exc)) from None
    raise typer.Exit(code)


@app.command()
def tool(
    name: Annotated[str, typer.Argument(help="Tool name; `locanext tool list` shows them.")],
    function: Annotated[
        str | None,
        typer.Option("--function", "-f", help="The tool's function, when it has several."),
    ] = None,
    inputs: Annotated[list[Path] | None, typer.Argument(help="Input files.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Tool parameter KEY=VALUE.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Run a localization tool as a task in a worker process, recorded like a run from the UI.

    Progress goes to stderr; Ctrl-C cancels the run (recorded as cancelled, exit code 130). The
    summary is printed as JSON on stdout; a failed run exits with code 1 and says why.
    """
    from engine.errors import EngineError
    from engine.runtime import EngineRuntime
    from engine.tasks.terminal import follow
    from engine.tools import registry

    if name == "list":
        for t in registry().values():
            typer.echo(f"{t.name:16} {t.description}")
            for f in t.functions:
                typer.echo(f"  --function {f.name:20} {f.description}")
        return
    bad = [p for p in (param or []) if "=" not in p]
    if bad:
        raise _fail(f"parameters are KEY=VALUE; got {', '.join(map(repr, bad))}")
    params = dict(p.split("=", 1) for p in (param or []))
    try:
        runtime = EngineRuntime(_engine_settings(data_dir), task_workers=1)
    except EngineError as exc:
        raise _fail(str(exc)) from None
    try:
        submitted = runtime.tasks.submit(
            name, list(inputs or []), params, username=runtime.username, function=function
        )
        task = follow(runtime.tasks, submitted.id, sys.stderr)
    except EngineError as exc:
        raise _fail(str(exc)) from None
    finally:
        runtime.close("tool finished")
    for warning in task.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    if task.state == "cancelled":
        raise _fail(f"{name} cancelled (operation {task.id})", code=130)
    if task.state != "succeeded":
        raise _fail(f"{name} {task.state}: {task.error} (operation {task.id})")
    typer.echo(json.dumps(task.summary, ensure_ascii=False))
    for output in task.outputs:
        typer.echo(f"wrote {output}")
    typer.echo(f"operation {task.id} succeeded")


@app.command()
def enroll(
    central: Annotated[str, typer.Option(help="Central's URL, e.g. http://127.0.0.1:8700")],
    user: Annotated[str, typer.Option(help="Your LocaNext user name.")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input instead of a prompt.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Link this install to central with your user's password; stores a per-install token."""
    from replicator import link
    from replicator.errors import SyncError

    password = (
        sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass("Password: ")
    )
    db = _open_db(data_dir)
    try:
        response = link.enroll(db, central, user, password)
    except SyncError as exc:
        raise _fail(str(exc)) from None
    finally:
        db.close()
    typer.echo(f"enrolled install {response.install_id} as {response.username} at {central}")


@app.command()
def sync(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    data_dir: DataDir = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Push this install's changes to central and pull shared ones (loop, or --once)."""
    from replicator.errors import SyncError
    from replicator.loop import Syncer, sync_once
    from shell.desktop import wait_for_signal

    _logging(verbose)
    db = _open_db(data_dir)
    try:
        if once:
            report = sync_once(db)
            typer.echo(
                f"pushed {report.pushed} changes, pulled {report.pulled} "
                f"(acked db_version {report.acked_db_version}, cursor {report.pull_cursor})"
            )
            return
        syncer = Syncer(db)
        syncer.start()
        typer.echo("syncing; Ctrl-C to stop")
        wait_for_signal()
        syncer.stop()
    except SyncError as exc:
        raise _fail(str(exc)) from None
    finally:
        db.close()


@app.command()
def central(
    dsn: Dsn = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Central's data dir (private cluster).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8700,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the central server: sync API, enrollment, administration, PostgreSQL mirror."""
    from central import service
    from central.pgcluster import ClusterError
    from central.settings import CentralSettings

    _logging(verbose)
    values: dict[str, object] = {"host": host, "port": port, "central_dsn": dsn}
    if data_dir is not None:
        values["data_dir"] = data_dir
    settings = CentralSettings(**{k: v for k, v in values.items() if v is not None})
    try:
        with service.database(settings) as url:
            prepared = service.prepare(settings, url)
            if prepared.generated_admin_password:
                typer.echo(f"created account admin / {prepared.generated_admin_password}")
            typer.echo(f"LocaNext central: http://{host}:{port}/  (mirror {url.split('@')[-1]})")
            service.serve(settings, prepared.engine)
    except ClusterError as exc:
        raise _fail(str(exc)) from None


@app.command()
def admin(
    dsn: Dsn = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Central's data dir, to find its private cluster.")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8701,
) -> None:
    """Run the admin dashboard; it reads the PostgreSQL mirror directly, read-only."""
    import uvicorn

    from central.pgcluster import PrivateCluster
    from central.settings import CentralSettings
    from web_admin.app import create_app, read_only_engine

    _logging(False)
    if not dsn:
        settings = CentralSettings(**({"data_dir": data_dir} if data_dir else {}))
        dsn = PrivateCluster(settings.cluster_dir).dsn()
        if not dsn:
            raise _fail(
                f"no --dsn given and no running central cluster in {settings.cluster_dir}; "
                "start `locanext central` first or pass --dsn"
            )
    typer.echo(f"LocaNext admin: http://{host}:{port}/")
    uvicorn.run(create_app(read_only_engine(dsn)), host=host, port=port, log_level="warning")


@app.command()
def demo(
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps central's cluster and the app's data.")
    ] = Path(".locanext-demo"),
    until_synced: Annotated[
        bool, typer.Option(help="Exit once the admin dashboard shows the sample operations.")
    ] = False,
) -> None:
    """Run everything on embedded defaults, with sample data, until Ctrl-C.

    Starts central with a private PostgreSQL, the admin dashboard, and a desktop app enrolled
    against central with a few sample tool runs; prints every URL and the logins.
    """
    from locanext.demo import DemoError, run_demo

    _logging(False)
    try:
        run_demo(data_dir.resolve(), until_synced=until_synced, echo=typer.echo)
    except DemoError as exc:
        raise _fail(str(exc)) from None


@app.command()
def fuzz(
    seed: Annotated[int, typer.Option(help="Same seed, same run.")] = 0,
    installs: Annotated[
        int | None, typer.Option(min=2, max=6, help="Installs per example (default: 2 to 6).")
    ] = None,
    steps: Annotated[int, typer.Option(min=1, help="Steps per example.")] = 40,
    examples: Annotated[int, typer.Option(min=1, help="Examples to run.")] = 100,
    minutes: Annotated[
        float | None, typer.Option(help="Run rounds of examples for this long instead.")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option(help="Re-run the failing example saved in this file.")
    ] = None,
    save: Annotated[Path, typer.Option(help="Where to write the replay of a failure.")] = Path(
        "locanext-fuzz-replay.json"
    ),
    mutation: Annotated[
        str | None,
        typer.Option(help="Break the merge on purpose to see the invariants catch it (testers)."),
    ] = None,
    dsn: Annotated[
        str, typer.Option(help="PostgreSQL server; the run uses a scratch database on it.")
    ] = "postgresql://postgres@127.0.0.1:5432/postgres",
) -> None:
    """Fuzz replication: a state machine of installs with real cr-sqlite and central on
    PostgreSQL, over a network that drops, duplicates and replays, with crashes and partitions.
    On failure: the shrunk steps are printed and a replay file is written."""
    from locanext.fuzz import campaign as fuzzing

    try:
        saved = fuzzing.Replay.load(replay) if replay is not None else None
        fuzzing.check_mutation(mutation)
        with fuzzing.scratch_central(dsn) as engine:
            if saved is not None:
                outcome = fuzzing.replay(engine, saved)
            else:
                plan = fuzzing.FuzzPlan(seed, installs, steps, examples, minutes, mutation)
                outcome = _fuzz_showing_progress(engine, plan)
    except fuzzing.FuzzError as exc:
        raise _fail(str(exc)) from None
    if saved is not None:
        typer.echo(outcome.failure or "the replayed example passes now")
        raise typer.Exit(0 if outcome.failure is None else 1)
    summary = f"{outcome.examples} examples in {outcome.rounds} round(s), {outcome.seconds:.0f} s"
    if outcome.failure is None:
        typer.echo(f"no failure: {summary} (seed {seed})")
        return
    typer.echo(outcome.failure)
    if outcome.replay is not None:
        outcome.replay.save(save)
        typer.echo(f"failure after {summary}; replay it with: locanext fuzz --replay {save}")
    raise typer.Exit(1)


def _fuzz_showing_progress(engine: Engine, plan: FuzzPlan) -> Outcome:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from locanext.fuzz.campaign import run

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    # On stderr, so stdout carries only the outcome.
    with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(f"seed {plan.seed}: 0 examples", total=None)
        count = 0

        def tick() -> None:
            nonlocal count
            count += 1
            bar.update(task, description=f"seed {plan.seed}: {count} examples")

        return run(engine, plan, tick)


def main() -> None:
    app(prog_name="locanext")
