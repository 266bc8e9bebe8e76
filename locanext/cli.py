"""`locanext`: the one console script. Each command composes the packages; the errors they raise
are turned into one line on stderr and a non-zero exit code by :mod:`locanext.failures`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings

# The settings classes hold every default; the options below show them and only override them.
from central.settings import DEFAULT_SERVER_DSN, AdminSettings, CentralSettings
from engine.settings import EngineSettings
from locanext import failures, prompts
from locanext.addresses import central_url
from locanext.failures import Failure
from locanext.settings import option_help, variables

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from engine.account import Notice
    from engine.db import Database
    from locanext.fuzz.campaign import FuzzPlan, Outcome

app = typer.Typer(
    help="LocaNext: offline-first localization workbench with a replicated activity log.\n\n"
    "Desktop side: `app`, `tool`, `enroll`, `sync`. Server side: `central`, `admin`; "
    "administration through central: `users`, `announce`, `release`. "
    "Everything at once on sample data: `demo`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from locanext.admin_commands import register as register_admin_commands  # noqa: E402
from locanext.bench_commands import bench_app  # noqa: E402
from locanext.tool_command import register as register_tool_command  # noqa: E402

app.add_typer(bench_app, name="bench")
register_admin_commands(app)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help=option_help(EngineSettings, "data_dir", "Directory of this install's engine.db."),
    ),
]
Insecure = Annotated[
    bool | None,
    typer.Option(
        "--insecure",
        help=option_help(
            EngineSettings, "insecure", "Allow plain http:// to a central on another machine."
        ),
    ),
]
CaCert = Annotated[
    Path | None,
    typer.Option(
        "--ca-cert",
        help=option_help(EngineSettings, "ca_cert", "CA bundle (PEM) that signed central's cert."),
    ),
]
S = TypeVar("S", bound=BaseSettings)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _fail(message: str, code: int = 1) -> Failure:
    return Failure(message, code)


def _settings(cls: type[S], **options: object) -> S:
    """``cls`` from the environment and its defaults, with the options given on top."""
    try:
        return cls(**{name: value for name, value in options.items() if value is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = str(error["loc"][0]) if error["loc"] else cls.__name__
        for field in cls.model_fields:  # an error names the field, or the variable it came from
            names = variables(cls, field)
            if where in (field, *names):
                where = f"{field} (an option, or {' / '.join(names)})"
        raise _fail(f"invalid setting {where}: {error['msg']}") from None


def _engine_settings(data_dir: Path | None, **options: object) -> EngineSettings:
    return _settings(EngineSettings, data_dir=data_dir, **options)


register_tool_command(app, _engine_settings)


def _open_db(settings: EngineSettings) -> Database:
    from engine.db import Database

    return Database(settings.db_path)


@app.command("app")
def app_command(
    data_dir: DataDir = None,
    headless: Annotated[
        bool, typer.Option(help="Serve the UI and print its URL instead of opening a window.")
    ] = False,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="Do not run the sync loop.")] = False,
    insecure: Insecure = None,
    ca_cert: CaCert = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the desktop app: a window on the engine's UI (headless without a display).

    The UI opens only through the link it prints (once, in one browser) or in its window."""
    from shell.desktop import run_desktop

    _logging(verbose)
    settings = _engine_settings(data_dir, insecure=insecure, ca_cert=ca_cert)
    _configure_link(settings)

    def ready(url: str, windowed: bool, token_storage: str) -> None:
        how = "" if windowed else "  (headless; Ctrl-C to stop)"
        if not windowed and not headless:  # asked for a window, but there is no display
            how = "  (no display found, so no window: open the link in a browser; Ctrl-C to stop)"
        typer.echo(f"LocaNext app: {url}{how}  [central token: {token_storage}]")

    raise typer.Exit(run_desktop(settings, headless=headless, sync=not no_sync, on_ready=ready))


def _configure_link(settings: EngineSettings) -> None:
    """Keep --insecure / --ca-cert with the stored link (sync and app)."""
    if not (settings.insecure or settings.ca_cert):
        return
    from replicator import link

    _warn_insecure(settings)
    db = _open_db(settings)
    try:
        link.configure(db, insecure=settings.insecure, ca_cert=settings.ca_cert)
    finally:
        db.close()


def _warn_insecure(settings: EngineSettings) -> None:
    if settings.insecure:
        typer.secho(
            "warning: --insecure: plain http:// to central is allowed; passwords and tokens "
            "then cross the network in clear",
            fg=typer.colors.YELLOW,
            err=True,
        )


@app.command()
def enroll(
    central: Annotated[
        str, typer.Option(help="Central's URL, e.g. https://central.example:8700 or 127.0.0.1:8700")
    ],
    user: Annotated[str, typer.Option(help="Your LocaNext user name.")],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from standard input instead of a prompt.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Enroll again although enrolled: central issues a new token."),
    ] = False,
    insecure: Insecure = None,
    ca_cert: CaCert = None,
    data_dir: DataDir = None,
) -> None:
    """Link this install to central with your user's password; stores a per-install token.

    A bare HOST:PORT means http:// on this machine and https:// elsewhere. An install that is
    already enrolled is refused unless --force (or sign out in the app first)."""
    from engine.token_store import open_store
    from replicator import link, transport

    settings = _engine_settings(data_dir, insecure=insecure, ca_cert=ca_cert)
    url = central_url(central)
    transport.check_url(url, insecure=settings.insecure)  # refused before the password is asked
    _warn_insecure(settings)
    db = _open_db(settings)
    try:
        enrolled = link.enrolled_as(db)
        if enrolled is not None and not force:
            raise _fail(
                f"this install is already enrolled at {enrolled[0]} as {enrolled[1]}; enrolling "
                "again makes central issue a new token in place of its current one: add --force "
                "to do so (or sign out in the app first)"
            )
        password = prompts.password("Password: ", from_stdin=password_stdin)
        response = link.enroll(
            db, url, user, password, insecure=settings.insecure, ca_cert=settings.ca_cert
        )
        where = open_store(db).where
    finally:
        db.close()
    again = "re-enrolled (new token) " if enrolled is not None else "enrolled "
    typer.echo(f"{again}install {response.install_id} as {response.username} at {url}")
    typer.echo(f"central token kept in {where}")


@app.command()
def rekey(
    force: Annotated[
        bool, typer.Option("--force", help="Re-key even though central has not flagged a copy.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Give a copied or restored install an identity of its own, keeping every row; then enroll
    again. Close the app first."""
    from engine import sync_state
    from engine.errors import EngineError
    from replicator.rekey import rekey as rekey_install

    settings = _engine_settings(data_dir)
    db = _open_db(settings)
    try:
        with db.read() as conn:
            failure = sync_state.status(conn).last_failure
        if not force and (
            failure is None or failure.kind != sync_state.FailureKind.COPIED_DATABASE
        ):
            raise _fail("central has not flagged this install as a copy; --force re-keys anyway")
        report = rekey_install(db, settings.install_name)
    except EngineError as exc:
        raise _fail(str(exc)) from None
    finally:
        db.close()
    typer.echo(
        f"install {report.old_install_id} is now {report.new_install_id}: "
        f"{report.to_send} changes to send; enroll again (`locanext enroll`) to send them"
    )


@app.command()
def sync(
    once: Annotated[bool, typer.Option("--once", help="One round, then exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(help=option_help(EngineSettings, "sync_interval", "Seconds between rounds.")),
    ] = None,
    insecure: Insecure = None,
    ca_cert: CaCert = None,
    data_dir: DataDir = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Push this install's changes to central and pull shared ones (loop, or --once).

    When sync waits for you (revoked, disabled, signed out, update required, a copied database)
    or is stuck on the same refusal, it says why and what to do."""
    from replicator.errors import SyncError
    from replicator.loop import Syncer, sync_once
    from shell.desktop import wait_for_signal

    _logging(verbose)
    settings = _engine_settings(
        data_dir, sync_interval=interval, insecure=insecure, ca_cert=ca_cert
    )
    _configure_link(settings)
    db = _open_db(settings)
    try:
        if once:
            try:
                report = sync_once(db)
            except SyncError as exc:
                notice = _sync_notice(db)
                raise _fail(f"{notice.title}: {notice.message}" if notice else str(exc)) from None
            typer.echo(
                f"pushed {report.pushed} changes, pulled {report.pulled} "
                f"(acked db_version {report.acked_db_version}, cursor {report.pull_cursor})"
            )
            return
        shown: list[str | None] = [None]

        def say_what_waits() -> None:  # each change of what the user must know, once
            notice = _sync_notice(db)
            line = f"{notice.title}: {notice.message}" if notice else None
            if line != shown[0]:
                typer.echo(line or "sync works again", err=line is not None)
                shown[0] = line

        syncer = Syncer(db, interval=settings.sync_interval, on_round=say_what_waits)
        syncer.start()
        typer.echo(f"syncing every {settings.sync_interval:g} s; Ctrl-C to stop")
        wait_for_signal()
        syncer.stop()
    finally:
        db.close()


def _sync_notice(db: Database) -> Notice | None:
    from engine import account, sync_state

    with db.read() as conn:
        return account.notice(account.state(conn), sync_state.status(conn))


@app.command()
def central(
    dsn: Annotated[str | None, typer.Option(help=option_help(CentralSettings, "dsn"))] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help=option_help(CentralSettings, "data_dir", "Central's data dir.")),
    ] = None,
    host: Annotated[str | None, typer.Option(help=option_help(CentralSettings, "host"))] = None,
    port: Annotated[int | None, typer.Option(help=option_help(CentralSettings, "port"))] = None,
    tls_cert: Annotated[
        Path | None, typer.Option(help=option_help(CentralSettings, "tls_cert"))
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help=option_help(CentralSettings, "tls_key"))
    ] = None,
    restored: Annotated[
        bool,
        typer.Option(
            "--restored",
            help="The database was just restored from a backup (pg_restore): start a new epoch, "
            "so installs send and pull everything again. Once, at the first start after it.",
        ),
    ] = False,
    read_dsn: Annotated[
        str | None, typer.Option(help=option_help(CentralSettings, "read_dsn"))
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help=option_help(CentralSettings, "workers"))
    ] = None,
    pool_size: Annotated[
        int | None, typer.Option(help=option_help(CentralSettings, "pool_size"))
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the central server: sync API, enrollment, administration, PostgreSQL mirror.

    With --tls-cert and --tls-key it serves HTTPS itself; else put it behind a TLS proxy."""
    from central import service

    _logging(verbose)
    settings = _settings(
        CentralSettings,
        dsn=dsn,
        data_dir=data_dir,
        host=host,
        port=port,
        tls_cert=tls_cert,
        tls_key=tls_key,
        read_dsn=read_dsn,
        workers=workers,
        pool_size=pool_size,
    )
    for path in (settings.tls_cert, settings.tls_key):
        if path is not None and not path.is_file():
            raise _fail(f"no such file: {path} (--tls-cert / --tls-key)")
    service.check_tls(settings)
    listener = service.listen(settings.host, settings.port)  # taken before anything starts
    try:
        with service.database(settings) as url:
            prepared = service.prepare(settings, url, restored=restored)
            mirror = url.split("@")[-1]
            if prepared.created_database:
                typer.echo(f"created database {mirror}")
            if restored:
                typer.echo("central restored: a new epoch; installs send and pull everything again")
            if prepared.generated_admin_password:
                typer.echo(f"created account admin / {prepared.generated_admin_password}")
            typer.echo(f"LocaNext central: {settings.url}/  (mirror {mirror})")
            service.serve(settings, prepared.engine, listener, url)
    finally:
        listener.close()


@app.command()
def admin(
    dsn: Annotated[str | None, typer.Option(help=option_help(AdminSettings, "dsn"))] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help=option_help(AdminSettings, "central_data_dir"))
    ] = None,
    host: Annotated[str | None, typer.Option(help=option_help(AdminSettings, "host"))] = None,
    port: Annotated[int | None, typer.Option(help=option_help(AdminSettings, "port"))] = None,
    central: Annotated[
        str | None, typer.Option(help=option_help(AdminSettings, "central_url"))
    ] = None,
) -> None:
    """Run the admin console: it reads the PostgreSQL mirror as a read-only role and sends every
    change to central (LOCANEXT_CENTRAL_URL)."""
    import uvicorn

    from central.db import ensure_database, normalize_dsn
    from central.pgcluster import PrivateCluster
    from central.service import GracefulServer, listen
    from web_admin.app import create_app, read_only_engine

    _logging(False)
    settings = _settings(
        AdminSettings,
        dsn=dsn,
        central_data_dir=data_dir,
        host=host,
        port=port,
        central_url=central,
    )
    given = settings.dsn or PrivateCluster(settings.cluster_dir).reader_dsn()
    if not given:
        raise _fail(
            f"no --dsn given and no running central cluster in {settings.cluster_dir} (or one "
            "whose read-only role has no password yet); start `locanext central` first or pass "
            "--dsn"
        )
    url = normalize_dsn(given)
    listener = listen(settings.host, settings.port)
    try:
        ensure_database(url, create=False)
        typer.echo(f"LocaNext admin: http://{settings.host}:{settings.port}/")
        console = create_app(read_only_engine(url), settings.central_url, settings.secret)
        config = uvicorn.Config(
            console, host=settings.host, port=settings.port, log_level="warning"
        )
        GracefulServer(config).run(sockets=[listener])
    finally:
        listener.close()


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
    from locanext.demo import run_demo

    _logging(False)
    run_demo(data_dir.resolve(), until_synced=until_synced, echo=typer.echo)


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
    ] = DEFAULT_SERVER_DSN,
) -> None:
    """Fuzz replication: a state machine of installs with real cr-sqlite and central on
    PostgreSQL, over a network that drops, duplicates and replays, with crashes and partitions.
    On failure: the shrunk steps are printed and a replay file is written."""
    from locanext.fuzz import campaign as fuzzing

    saved = fuzzing.Replay.load(replay) if replay is not None else None
    fuzzing.check_mutation(mutation)
    with fuzzing.scratch_central(dsn) as engine:
        if saved is not None:
            outcome = fuzzing.replay(engine, saved)
        else:
            plan = fuzzing.FuzzPlan(seed, installs, steps, examples, minutes, mutation)
            outcome = _fuzz_showing_progress(engine, plan)
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
    failures.main(app, "locanext")
