"""`locanext users`, `locanext announce`, `locanext release`: administration from a terminal,
through central's administration API (the same routes as the web console).

Each command signs in once (the administrator's password is prompted, or read from the first
line of standard input with --password-stdin), does its work and signs out. Central's refusals
(:class:`AdminApiError`) are printed as one line by :mod:`locanext.failures`, exit code 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from locanext import prompts
from locanext.addresses import central_url
from locanext.failures import Failure

if TYPE_CHECKING:
    from central.admin_client import AdminClient

users_app = typer.Typer(
    help="Manage users: list, add, edit, disable, enable, reset-password, delete."
)
announce_app = typer.Typer(help="Announcements shown on every install: create, list, withdraw.")
release_app = typer.Typer(help="App releases installs are told about: publish, list, withdraw.")

Central = Annotated[
    str | None,
    typer.Option(
        "--central",
        envvar="LOCANEXT_CENTRAL_URL",
        help="Central's URL (default: http://HOST:PORT from central's settings).",
    ),
]
Admin = Annotated[
    str, typer.Option("--admin", envvar="LOCANEXT_ADMIN_USER", help="Your administrator name.")
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read your password from the first line of standard input."
    ),
]
NewPasswordStdin = Annotated[
    bool,
    typer.Option(
        "--new-password-stdin",
        help="Read the new password from the next line of standard input (else one is made).",
    ),
]
UserName = Annotated[str, typer.Argument(help="The user name.")]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(announce_app, name="announce")
    app.add_typer(release_app, name="release")


def _central_url(option: str | None) -> str:
    if option:
        return central_url(option)
    from central.settings import CentralSettings

    settings = CentralSettings()
    return f"http://{settings.host}:{settings.port}"


@contextmanager
def _signed_in(central: str | None, admin: str, password_stdin: bool) -> Iterator[AdminClient]:
    """A client signed in as ``admin``, signed out after."""
    # Here, not at the top: httpx is not worth importing for the CLI's other commands.
    from central.admin_client import AdminClient

    url = _central_url(central)
    password = prompts.password(f"{admin}'s password: ", from_stdin=password_stdin)
    with AdminClient.signed_in(url, admin, password) as client:
        yield client


def _table(rows: Sequence[dict[str, Any]], columns: dict[str, Callable[[dict], Any]]) -> None:
    """Rows as aligned columns under a header."""
    cells = [[str(get(row)) for get in columns.values()] for row in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(columns)]
    for line in [list(columns), *cells]:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def _when(value: str | None) -> str:
    return (value or "")[:16].replace("T", " ")


# --- users --------------------------------------------------------------------------------------
@users_app.command("list")
def users_list(
    central: Central = None, admin: Admin = "admin", password_stdin: PasswordStdin = False
) -> None:
    """List users with their team, language, role and state."""
    with _signed_in(central, admin, password_stdin) as client:
        users = client.get("/api/admin/users")
    _table(
        users,
        {
            "user": lambda u: u["username"],
            "name": lambda u: u["display_name"],
            "team": lambda u: u["team"],
            "language": lambda u: u["language"],
            "role": lambda u: u["role"],
            "state": lambda u: "active" if u["active"] else "disabled",
        },
    )


Role = Annotated[str, typer.Option(help="translator, lead (reads the console) or admin.")]


@users_app.command("add")
def users_add(
    username: UserName,
    display_name: Annotated[str, typer.Option(help="The name people see.")] = "",
    team: Annotated[str, typer.Option(help="Team, e.g. KO-EN.")] = "",
    language: Annotated[str, typer.Option(help="Language tag, e.g. en.")] = "",
    role: Role = "translator",
    new_password_stdin: NewPasswordStdin = False,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; without --new-password-stdin a password is made and printed once."""
    import secrets

    with _signed_in(central, admin, password_stdin) as client:
        password = (
            prompts.line("the new password") if new_password_stdin else secrets.token_urlsafe(12)
        )
        body = {"username": username, "password": password, "display_name": display_name}
        client.post("/api/admin/users", body | {"team": team, "language": language, "role": role})
    typer.echo(f"created user {username} ({role})")
    if not new_password_stdin:
        typer.echo(f"password: {password}")


@users_app.command("edit")
def users_edit(
    username: UserName,
    display_name: Annotated[str | None, typer.Option(help="The name people see.")] = None,
    team: Annotated[str | None, typer.Option(help="Team, e.g. KO-EN.")] = None,
    language: Annotated[str | None, typer.Option(help="Language tag, e.g. en.")] = None,
    role: Annotated[str | None, typer.Option(help="translator, lead or admin.")] = None,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Change a user's display name, team, language or role (what is not given stays)."""
    changes = {
        k: v
        for k, v in (
            ("display_name", display_name),
            ("team", team),
            ("language", language),
            ("role", role),
        )
        if v is not None
    }
    if not changes:
        raise Failure("nothing to change: give --display-name, --team, --language or --role")
    with _signed_in(central, admin, password_stdin) as client:
        user = client.patch(f"/api/admin/users/{username}", changes)
    typer.echo(f"{username}: " + ", ".join(f"{k} {user[k]!r}" for k in changes))


def _set_active(username: str, action: str, central: str | None, admin: str, stdin: bool) -> None:
    with _signed_in(central, admin, stdin) as client:
        client.post(f"/api/admin/users/{username}/{action}")
    typer.echo(f"{action}d {username}")


@users_app.command("disable")
def users_disable(
    username: UserName,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Disable a user: no sign-in, and their installs are refused until enabled again."""
    _set_active(username, "disable", central, admin, password_stdin)


@users_app.command("enable")
def users_enable(
    username: UserName,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Enable a disabled user again; their installs sync at their next round."""
    _set_active(username, "enable", central, admin, password_stdin)


@users_app.command("reset-password")
def users_reset_password(
    username: UserName,
    new_password_stdin: NewPasswordStdin = False,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Give a user a new password (made by central and printed once, or read from stdin)."""
    with _signed_in(central, admin, password_stdin) as client:
        chosen = prompts.line("the new password") if new_password_stdin else None
        answer = client.post(f"/api/admin/users/{username}/password", {"password": chosen})
    typer.echo(
        f"new password for {username}" + (f": {answer['password']}" if not chosen else " set")
    )


@users_app.command("delete")
def users_delete(
    username: UserName,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Delete a user: their profile and password go, their installs are revoked; their history
    (runs, events) stays under their name."""
    if not yes and not sys.stdin.isatty():
        raise Failure(
            f"deleting {username} asks for confirmation, but there is no terminal: add --yes"
        )
    if not yes and not typer.confirm(f"delete user {username}?"):
        raise Failure(f"{username} not deleted (--yes deletes without asking)")
    with _signed_in(central, admin, password_stdin) as client:
        client.delete(f"/api/admin/users/{username}")
    typer.echo(f"deleted {username}")


# --- announcements ------------------------------------------------------------------------------
@announce_app.command("create")
def announce_create(
    title: Annotated[str, typer.Argument(help="The headline installs show.")],
    body: Annotated[str, typer.Option(help="The text under it.")] = "",
    level: Annotated[str, typer.Option(help="info, warning or critical.")] = "info",
    expires: Annotated[
        str | None, typer.Option(help="ISO time with offset, e.g. 2031-01-01T09:00+09:00.")
    ] = None,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Publish an announcement to every install."""
    with _signed_in(central, admin, password_stdin) as client:
        created = client.post(
            "/api/admin/announcements",
            {"title": title, "body": body, "level": level, "expires": expires},
        )
    typer.echo(f"published announcement {created['id']}")


@announce_app.command("list")
def announce_list(
    central: Central = None, admin: Admin = "admin", password_stdin: PasswordStdin = False
) -> None:
    """List announcements, newest first."""
    with _signed_in(central, admin, password_stdin) as client:
        items = client.get("/api/admin/announcements")
    _table(
        items,
        {
            "id": lambda a: a["id"],
            "level": lambda a: a["level"],
            "created": lambda a: _when(a["created"]),
            "expires": lambda a: _when(a["expires"]),
            "title": lambda a: a["title"],
        },
    )


@announce_app.command("withdraw")
def announce_withdraw(
    key: Annotated[str, typer.Argument(metavar="ID", help="The announcement's id (see list).")],
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Withdraw an announcement: installs remove it at their next sync."""
    with _signed_in(central, admin, password_stdin) as client:
        client.delete(f"/api/admin/announcements/{key}")
    typer.echo(f"withdrew announcement {key}")


# --- releases -----------------------------------------------------------------------------------
@release_app.command("publish")
def release_publish(
    version: Annotated[str, typer.Argument(help="The version, e.g. 2.1.0.")],
    notes: Annotated[str, typer.Option(help="What changed.")] = "",
    url: Annotated[str, typer.Option(help="Where to download it (https://...).")] = "",
    required: Annotated[bool, typer.Option(help="Installs must update to it.")] = False,
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Publish a release installs are told about."""
    with _signed_in(central, admin, password_stdin) as client:
        client.post(
            "/api/admin/releases",
            {"version": version, "notes": notes, "url": url, "required": required},
        )
    typer.echo(f"published release {version}" + (" (required)" if required else ""))


@release_app.command("list")
def release_list(
    central: Central = None, admin: Admin = "admin", password_stdin: PasswordStdin = False
) -> None:
    """List releases, newest first."""
    with _signed_in(central, admin, password_stdin) as client:
        items = client.get("/api/admin/releases")
    _table(
        items,
        {
            "version": lambda r: r["version"],
            "required": lambda r: "yes" if r["required"] else "no",
            "released": lambda r: _when(r["released"]),
            "url": lambda r: r["url"],
        },
    )


@release_app.command("withdraw")
def release_withdraw(
    version: Annotated[str, typer.Argument(help="The version to withdraw.")],
    central: Central = None,
    admin: Admin = "admin",
    password_stdin: PasswordStdin = False,
) -> None:
    """Withdraw a release: installs forget it at their next sync."""
    with _signed_in(central, admin, password_stdin) as client:
        client.delete(f"/api/admin/releases/{version}")
    typer.echo(f"withdrew release {version}")
