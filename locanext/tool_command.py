"""`locanext tool`: run a localization tool from a terminal, as a task in a worker process,
recorded like a run from the UI.

``locanext tool list`` lists the tools; ``locanext tool NAME [-f FUNCTION] --help`` shows each
function's parameters with type, default and help. A run prints a summary line and a table of
its results (``--json``: the whole record); progress goes to stderr, Ctrl-C cancels the run
(exit code 130), a refusal or a failed run is one line on stderr and exit code 1.

Everything heavy (the engine, the tools) is imported once the command runs, not when the CLI
starts.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from locanext.failures import Failure

if TYPE_CHECKING:
    from engine.settings import EngineSettings
    from engine.tasks.model import Task
    from engine.tools.base import Function, Tool

# Result rows shown under the summary unless --rows says otherwise.
SHOWN_ROWS = 20

SettingsFor = Callable[[Path | None], "EngineSettings"]


def _fail(message: str, code: int = 1) -> Failure:
    return Failure(message, code)  # printed as one line by locanext.failures


def _list_tools() -> None:
    from engine.tools.registry import registry

    for t in registry().values():
        typer.echo(f"{t.name:16} {t.description}")
        for f in t.functions:
            typer.echo(f"  --function {f.name:20} {f.description}")


def _function_help(name: str, function: str | None) -> None:
    from engine.errors import EngineError
    from engine.tools.registry import registry, resolve
    from locanext.tool_params import describe

    tool = registry().get(name)
    try:
        chosen = [resolve(name, function)[1]] if function or tool is None else tool.functions
    except EngineError as exc:
        raise _fail(str(exc)) from None
    assert tool is not None
    typer.echo(f"{tool.name}: {tool.description}")
    for fn in chosen:
        typer.echo("")
        typer.echo(f"locanext tool {tool.name} --function {fn.name} [INPUTS]... [-p KEY=VALUE]...")
        typer.echo(f"  {fn.description}")
        for line in describe(fn.params):
            typer.echo(line)


def _resolve(name: str, function: str | None) -> tuple[Tool, Function[Any]]:
    from engine.errors import EngineError
    from engine.tools.registry import resolve

    try:
        return resolve(name, function)
    except EngineError as exc:
        raise _fail(str(exc)) from None


def _print_result(task: Task, rows: int) -> None:
    from engine.tasks.report_rows import is_report
    from locanext.tool_output import report_table, summary_line, summary_rows, table

    line = summary_line(task.summary)
    typer.echo(f"{task.tool}.{task.function}: {line}" if line else f"{task.tool}.{task.function}")
    report = next((p for p in task.outputs if p.is_file() and is_report(p)), None)
    if rows > 0:
        if report is not None:
            typer.echo("")
            for text in report_table(report, rows):
                typer.echo(text)
        elif (records := summary_rows(task.summary)) is not None:
            typer.echo("")
            for text in table(records[0], records[1][:rows]):
                typer.echo(text)
    if task.outputs:
        typer.echo("")
    for output in task.outputs:
        typer.echo(f"wrote {output}")
    typer.echo(f"operation {task.id} succeeded")


def _record(task: Task) -> dict[str, Any]:
    return {
        "operation": task.id,
        "tool": task.tool,
        "function": task.function,
        "state": str(task.state),
        "summary": task.summary,
        "outputs": [str(p) for p in task.outputs],
        "warnings": list(task.warnings),
    }


def register(app: typer.Typer, settings_for: SettingsFor) -> None:
    """Add ``tool`` to ``app``; ``settings_for(data_dir)`` makes the engine's settings (or
    exits with the CLI's one-line message)."""

    @app.command(context_settings={"help_option_names": []})
    def tool(
        ctx: typer.Context,
        name: Annotated[
            str | None, typer.Argument(help="Tool name; `locanext tool list` shows them.")
        ] = None,
        inputs: Annotated[list[Path] | None, typer.Argument(help="Input files.")] = None,
        function: Annotated[
            str | None,
            typer.Option("--function", "-f", help="The tool's function, when it has several."),
        ] = None,
        param: Annotated[
            list[str] | None,
            typer.Option(
                "--param",
                "-p",
                help="Parameter KEY=VALUE; a list takes a,b,c or a repeated -p. "
                "`locanext tool NAME --help` lists them.",
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the run's record as JSON instead.")
        ] = False,
        rows: Annotated[
            int, typer.Option(min=0, help="Result rows shown in the table (0: none).")
        ] = SHOWN_ROWS,
        data_dir: Annotated[
            Path | None,
            typer.Option("--data-dir", help="Directory of this install's engine.db."),
        ] = None,
        show_help: Annotated[
            bool,
            typer.Option(
                "--help",
                "-h",
                help="Show this message; after a tool name, its functions and parameters.",
            ),
        ] = False,
    ) -> None:
        """Run a localization tool as a task in a worker process, recorded like a run from the
        UI.

        Prints a summary and a table of results (--json: the record as JSON); progress goes to
        stderr; Ctrl-C cancels the run (recorded as cancelled, exit code 130); a failed run
        exits with code 1 and says why in one line.
        """
        if name is None or (show_help and name == "list"):
            typer.echo(ctx.get_help())
            return
        if name == "list":
            _list_tools()
            return
        if show_help:
            _function_help(name, function)
            return
        _run(name, function, inputs or [], param or [], settings_for(data_dir), as_json, rows)
        _leave()


def _leave() -> NoReturn:
    """Exit at once after a run that succeeded: it is recorded, engine.db is closed and every
    worker gone, and Python's teardown of the modules loaded by now (numpy, openpyxl,
    pydantic...) would hold the prompt back for nothing, by half a second on a busy machine."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _run(
    name: str,
    function: str | None,
    inputs: list[Path],
    pairs: list[str],
    settings: EngineSettings,
    as_json: bool,
    rows: int,
) -> None:
    from engine.errors import EngineError
    from engine.operations import RunState
    from engine.runtime import EngineRuntime
    from engine.tasks.terminal import follow
    from locanext.tool_params import ParamError, parse

    try:
        runtime = EngineRuntime(settings, task_workers=1)
        # A worker starts importing the tools while this process reads and records the run.
        runtime.tasks.start_spares(replace=False)
    except EngineError as exc:
        raise _fail(str(exc)) from None
    try:
        _, fn = _resolve(name, function)
        params = parse(fn.params, pairs)
        submitted = runtime.tasks.submit(
            name, inputs, params, username=runtime.username, function=function
        )
        task = follow(runtime.tasks, submitted.id, sys.stderr)
    except (EngineError, ParamError) as exc:
        raise _fail(str(exc)) from None
    finally:
        runtime.close("tool finished")
    for warning in task.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    if task.state is RunState.CANCELLED:
        raise _fail(f"{name} cancelled (operation {task.id})", code=130)
    if task.state is not RunState.SUCCEEDED:
        raise _fail(f"{name} {task.state}: {task.error} (operation {task.id})")
    if as_json:
        typer.echo(json.dumps(_record(task), ensure_ascii=False))
    else:
        _print_result(task, rows)
