"""What the commands read from the person at the terminal: passwords (prompted without echo, or
piped in with ``--password-stdin``) and further lines of standard input. An empty answer, or no
terminal to ask on, is refused here with what to do instead."""

from __future__ import annotations

import getpass
import sys

from locanext.failures import Failure


def line(what: str) -> str:
    """The next line of standard input (without its newline); refused when there is none."""
    text = sys.stdin.readline()
    if not text:
        raise Failure(f"expected {what} on standard input, but it ended")
    return text.rstrip("\r\n")


def password(prompt: str, *, from_stdin: bool, what: str = "the password") -> str:
    """A password from the first line of standard input, or asked for at the terminal."""
    if from_stdin:
        given = line(f"{what} (its first line, for --password-stdin)")
    elif not sys.stdin.isatty():
        raise Failure(f"no terminal to ask for {what}: pipe it in with --password-stdin")
    else:
        given = getpass.getpass(prompt)
    if not given:
        where = "the first line of standard input is blank" if from_stdin else "nothing was typed"
        raise Failure(f"{what} is empty ({where}); sign-in needs the account's password")
    return given
