"""Users: the list with last activity and installs; create, edit, disable and enable, reset the
password, delete; and each user's detail page (installs, activity, errors, recent runs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from web_admin import fleet
from web_admin.actions import Refused, call, read_only_note, write_button
from web_admin.frame import Console, Seen, enter, header, now_utc, problem, url

ROLES = ["translator", "lead", "admin"]


def _profile_fields(values: dict[str, Any]) -> dict[str, ui.element]:
    return {
        "display_name": ui.input("Display name", value=values.get("display_name") or "").props(
            "data-testid=field-display_name"
        ),
        "team": ui.input("Team", value=values.get("team") or "").props("data-testid=field-team"),
        "language": ui.input("Language", value=values.get("language") or "").props(
            "data-testid=field-language"
        ),
        "role": ui.select(ROLES, value=values.get("role") or "translator", label="Role").props(
            "data-testid=field-role"
        ),
    }


def _create_dialog(console: Console, seen: Seen) -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes("w-96"):
        ui.label("New user").classes("text-h6")
        name = ui.input("User name").props("data-testid=field-username")
        password = ui.input("Password (8 characters or more)", password=True).props(
            "data-testid=field-password"
        )
        fields = _profile_fields({})

        async def create() -> None:
            body = {k: f.value for k, f in fields.items()} | {
                "username": (name.value or "").strip(),
                "password": password.value or "",
            }
            try:
                await call(console, seen, "POST", "/api/admin/users", body)
            except Refused:
                return
            ui.navigate.reload()

        with ui.row():
            ui.button("Create", on_click=create).props("data-testid=create-user-confirm")
            ui.button("Cancel", on_click=dialog.close).props("flat")
    return dialog


async def _act(console: Console, seen: Seen, method: str, path: str, body: Any = None) -> Any:
    try:
        answer = await call(console, seen, method, path, body)
    except Refused:
        return None
    return answer if answer is not None else True


def _user_actions(console: Console, seen: Seen, row: dict[str, Any]) -> None:
    name = row["username"]
    base = f"/api/admin/users/{quote(name, safe='')}"

    async def toggle() -> None:
        if await _act(console, seen, "POST", f"{base}/{'disable' if row['active'] else 'enable'}"):
            ui.navigate.reload()

    async def reset() -> None:
        answer = await _act(console, seen, "POST", f"{base}/password", {})
        if answer:
            shown.set_text(f"New password for {name}: {answer['password']} (shown once)")

    async def delete() -> None:
        if await _act(console, seen, "DELETE", base):
            ui.navigate.to("/users")

    with ui.dialog() as confirm, ui.card():
        ui.label(
            f"Delete {name}? Their account and password go and their installs are revoked; "
            "their history (runs, logs) stays, under their name."
        )
        with ui.row():
            ui.button("Delete", on_click=delete, color="negative").props(
                "data-testid=delete-confirm"
            )
            ui.button("Cancel", on_click=confirm.close).props("flat")
    with ui.dialog() as edit, ui.card().classes("w-96"):
        ui.label(f"Edit {name}").classes("text-h6")
        fields = _profile_fields(row)

        async def save() -> None:
            body = {k: f.value for k, f in fields.items()}
            if await _act(console, seen, "PATCH", base, body):
                ui.navigate.reload()

        ui.button("Save", on_click=save).props("data-testid=save-user")

    with ui.row().classes("gap-1 no-wrap"):
        small = {"flat": "", "dense": "", "no-caps": ""}
        write_button(seen, "Edit", edit.open, f"edit-{name}", **small)
        label = "Disable" if row["active"] else "Enable"
        write_button(seen, label, toggle, f"toggle-{name}", **small)
        write_button(seen, "Reset password", reset, f"reset-{name}", **small)
        write_button(seen, "Delete", confirm.open, f"delete-{name}", color="negative", **small)
    shown = ui.label().props(f"data-testid=password-{name}")


def register(console: Console) -> None:
    @ui.page("/users")
    async def users_page(request: Request) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Users")
        read_only_note(seen)
        rows = await run.io_bound(_users, console)
        create = _create_dialog(console, seen)
        write_button(seen, "New user", create.open, "create-user")
        if not rows:
            ui.label("No users yet. Create one; translators enroll their PCs with it.")
        with ui.column().classes("w-full gap-0").props("data-testid=users"):
            for row in rows:
                with (
                    ui.row()
                    .classes("w-full items-center gap-4 q-py-xs border-b")
                    .props(f"data-testid=user-{row['username']}")
                ):
                    ui.link(row["username"], f"/users/{quote(row['username'], safe='')}").classes(
                        "w-28 text-weight-bold"
                    )
                    ui.label(row["display_name"] or "").classes("w-40")
                    ui.label(row["team"] or "").classes("w-40")
                    ui.label(row["role"] or "").classes("w-20")
                    badge = "active" if row["active"] else "disabled"
                    ui.badge(badge, color="positive" if row["active"] else "grey").props(
                        f"data-testid=state-{row['username']}"
                    )
                    ui.label(f"{row['installs']} installs").classes("w-20")
                    last = seen.when(row["last_activity"]) or "never"
                    ui.label(f"last run {last}").classes("w-56 text-caption")
                    _user_actions(console, seen, row)
        return None

    @ui.page("/users/{username}")
    async def user_page(request: Request, username: str) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, f"User {username}")
        found = await run.io_bound(_user_detail, console, username)
        if found is None:
            problem(f"No user {username!r} (deleted users keep their history in Activity).")
            ui.link("Their runs", url("/activity", {"user": username}))
            return None
        user, summary, installs = found
        with ui.row().classes("gap-6"):
            ui.label(f"{user['display_name'] or username} · {user['team'] or 'no team'}")
            ui.label(f"role {user['role']} · {'active' if user['active'] else 'disabled'}")
            rate = summary["failed"] / summary["runs"] if summary["runs"] else 0.0
            ui.label(f"{summary['runs']} runs in 30 days, {rate:.0%} failed").props(
                "data-testid=user-rate"
            )
            ui.link("All their runs", url("/activity", {"user": username}))
            ui.link("Their errors", url("/activity", {"user": username, "status": "failed"}))
        ui.echart(
            {
                "tooltip": {"trigger": "axis"},
                "xAxis": {"type": "category", "data": [d for d, _ in summary["per_day"]]},
                "yAxis": {"type": "value", "minInterval": 1},
                "series": [
                    {"type": "bar", "name": "runs", "data": [n for _, n in summary["per_day"]]}
                ],
            }
        ).classes("w-[40rem] h-52")
        ui.label("Installs").classes("text-h6")
        for inst in installs:
            ui.link(
                f"{inst['name'] or inst['id'][:12]} · {inst['state']}", f"/installs/{inst['id']}"
            )
        ui.label("Recent runs").classes("text-h6")
        ui.table(
            columns=[
                {"name": k, "label": k.title(), "field": k, "align": "left"}
                for k in ("started", "tool", "function", "status", "error")
            ],
            rows=[r | {"started": seen.when(r["started"])} for r in summary["recent"]],
            row_key="id",
        ).props("dense flat").classes("w-full")
        return None


def _users(console: Console) -> list[dict[str, Any]]:
    with console.engine.connect() as conn:
        return fleet.users(conn)


def _user_detail(console: Console, username: str) -> tuple[Any, Any, Any] | None:
    now = now_utc()
    with console.engine.connect() as conn:
        user = fleet.user(conn, username)
        if user is None:
            return None
        summary = fleet.user_summary(conn, username, now - timedelta(days=30))
        installs = [i for i in fleet.installs(conn, now) if i["username"] == username]
    return user, summary, installs
