"""Central's address as people type it: a full URL, or a bare HOST:PORT that is read as
``http://`` on this machine and ``https://`` elsewhere (and said so on stderr)."""

from __future__ import annotations

import typer


def central_url(given: str) -> str:
    from replicator.transport import with_scheme  # here: the CLI starts without the replicator

    url = with_scheme(given.strip())
    if url != given.strip():
        typer.secho(f"note: central's address {given!r} read as {url}", err=True)
    return url
