"""How `locanext` fails: every error a user can cause ends the command with one line on stderr,
``error: <what happened; what to do>``, and a non-zero exit code. The packages raise their own
errors; commands raise :class:`Failure` for their own refusals; :func:`run` turns both into that
line, and only it prints them. An exception it does not know is a bug and keeps its traceback.

Exit codes: 1 a refusal or failure, 2 a command line that does not parse, 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

USAGE = 2
INTERRUPTED = 130


class Failure(typer.TyperException):
    """A command's own refusal: the one line to print and the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = code


def run(app: typer.Typer, prog_name: str) -> int:
    """Run the command line and return its exit code; failures are printed as one line."""
    try:
        code = app(prog_name=prog_name, standalone_mode=False)
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            return USAGE  # typer has printed the help already
        context = getattr(exc, "ctx", None)  # a command line that does not parse
        if context is None:
            return _print(exc.format_message(), exc.exit_code)
        hint = f"{_lower(exc.format_message()).rstrip('.')} (see `{context.command_path} --help`)"
        return _print(hint, exc.exit_code)
    except typer.Abort:  # Ctrl-C at a prompt, or standard input ended before the answer
        return _print("aborted: no answer to the question asked", 1)
    except Exception as exc:
        message = explain(exc)
        if message is None:
            raise
        return _print(message, 1)
    return code if isinstance(code, int) else 0


def explain(exc: BaseException) -> str | None:
    """The line for an error a user can cause, or None for one they cannot (a bug)."""
    # Imported here: only a failing command pays for these imports.
    import httpx
    from pydantic import ValidationError

    from central.admin_client import AdminApiError
    from central.db import InvalidDsn
    from central.errors import CentralError
    from engine.errors import EngineError
    from replicator.errors import SyncError

    if isinstance(exc, EngineError | SyncError | CentralError | AdminApiError | InvalidDsn):
        return str(exc)
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or exc.title
        return f"invalid {where}: {error['msg']}"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the server: {exc}; check its address and the network"
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}; run as a user who may use it, or pick another"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}; check the path"
    return None


def _lower(message: str) -> str:
    return message[:1].lower() + message[1:]


def _print(message: str, code: int) -> int:
    # One line even when a message carries a program's output (a failed pg_ctl, ...).
    line = " ".join(part.strip() for part in message.splitlines() if part.strip())
    typer.secho(f"error: {line}", fg=typer.colors.RED, err=True)
    return code


def main(app: typer.Typer, prog_name: str) -> None:
    sys.exit(run(app, prog_name))
