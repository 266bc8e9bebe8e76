"""What every page of the desktop app shares: the header with the menu and the sync state, and
the live view of one task's progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from nicegui import ui

from engine.context import EngineContext
from engine.operations import RunState
from engine.sync_state import FailureKind, SyncStatus
from engine.tasks import opener
from engine.tasks.model import Task
from engine.tasks.progress import describe, format_seconds, waiting
from engine.ui import account_menu, banners, theme

STATE_COLORS = {
    RunState.QUEUED: "grey",
    RunState.RUNNING: "primary",
    RunState.SUCCEEDED: "positive",
    RunState.FAILED: "negative",
    RunState.CANCELLED: "warning",
    RunState.INTERRUPTED: "orange",
}


# What the badge says for each kind of failure, and its colour. A refusal adds central's code.
FAILURE_BADGES = {
    FailureKind.NOT_ENROLLED: ("Not enrolled", "grey"),
    FailureKind.UNREACHABLE: ("Offline", "warning"),
    FailureKind.CENTRAL_FAILED: ("Central failing", "warning"),
    FailureKind.UNAUTHORIZED: ("Unauthorized", "negative"),
    FailureKind.REVOKED: ("Revoked", "negative"),
    FailureKind.ACCOUNT_DISABLED: ("Account disabled", "negative"),
    FailureKind.UPDATE_REQUIRED: ("Update required", "negative"),
    FailureKind.REFUSED: ("Refused", "warning"),
    FailureKind.BAD_PULL: ("Sync error", "negative"),
    FailureKind.COPIED_DATABASE: ("Copied database", "negative"),
}


def sync_text(s: SyncStatus) -> tuple[str, str]:
    """The badge's text and colour, from the kind of the last failure (never its wording)."""
    if not s.enrolled:
        return "Not enrolled", "grey"
    parts = [f"{s.pending_changes} changes waiting", f"last sync {s.last_success or 'never'}"]
    failure = s.last_failure
    if failure is None:
        if not s.online:  # enrolled, no round finished yet
            return " · ".join(["Not synced yet", *parts]), "grey"
        return " · ".join(["Online", *parts]), "positive"
    label, color = FAILURE_BADGES[failure.kind]
    if failure.kind is FailureKind.REFUSED and failure.code:
        label += f" ({failure.code})"
    if s.parked:
        label = f"Sync paused: {label}"
    elif s.stuck:
        label, color = f"Sync stuck: {label}, {s.repeated} rounds in a row", "negative"
    return " · ".join([label, *parts, failure.detail]), color


# The pages in the header's menu: (label, path, data-testid).
NAV = (
    ("Home", "/", "nav-home"),
    ("Apps", "/tools", "nav-tools"),
    ("Tasks", "/tasks", "nav-tasks"),
    ("Glossary", "/glossary", "nav-glossary"),
    ("Dictionaries", "/dictionaries", "nav-dictionaries"),
    ("Announcements", "/announcements", "nav-announcements"),
)


def header(ctx: EngineContext, current: str = "") -> None:
    """The header (menu, status area, theme switch, account slot) and, under it, the banners
    (a required update, a newer release, unread announcements). ``current`` is the path of the
    page, marked in the menu."""
    chosen = theme.apply(ctx)
    with ui.header().classes("lx-header items-center gap-4 px-4 py-2"):
        with ui.row().classes("items-center gap-6 grow").props("data-testid=nav"):
            ui.label("LocaNext").classes("text-h6")
            for text, target, testid in NAV:
                link = ui.link(text, target).classes("no-underline").props(f"data-testid={testid}")
                if target == current:
                    link.classes("lx-nav-current").props("aria-current=page")
        # Status area: the sync badge now; room for more indicators beside it.
        status = ui.row().classes("items-center gap-2").props("data-testid=status-area")
        badge = ui.badge("", color="grey").props("data-testid=sync-status")
        badge.classes("ellipsis").style("max-width: 45vw")  # the account area stays in the row
        badge.move(status)
        theme.toggle_button(ctx, chosen)
        account = account_menu.AccountArea(ctx)
    account.banner()
    banners.area(ctx)

    def refresh() -> None:
        text, color = sync_text(ctx.sync_status())
        badge.set_text(text)
        badge.props(f"color={color}")

    refresh()
    ui.timer(2.0, refresh)


class TaskProgress:
    """A task's state, progress bar and "done/total · step · rate · ETA" line, updated in place.

    ``testid`` prefixes the data-testids: ``{testid}-state``, ``-bar``, ``-text``, ``-cancel``.
    """

    def __init__(
        self, task: Task, testid: str, on_cancel: Callable[[], None] | None = None
    ) -> None:
        with ui.row().classes("items-center w-full gap-3"):
            self.state = ui.badge(task.state).props(f"data-testid={testid}-state")
            ui.label(task.title).classes("text-subtitle2")
            self.cancel = ui.button("Cancel", on_click=on_cancel, color="negative").props(
                f"flat dense data-testid={testid}-cancel"
            )
        self.bar = ui.linear_progress(0.0, show_value=False).props(f"data-testid={testid}-bar")
        self.text = ui.label("").classes("text-caption").props(f"data-testid={testid}-text")
        self.update(task)

    def update(self, task: Task) -> None:
        self.state.set_text(task.state)
        self.state.props(f"color={STATE_COLORS.get(task.state, 'grey')}")
        self.cancel.set_visibility(not task.finished and not task.cancel_requested)
        if task.total:
            self.bar.set_value(min(task.done / task.total, 1.0))
        elif task.state is RunState.SUCCEEDED:
            self.bar.set_value(1.0)
        if task.state is RunState.RUNNING and task.total is None:
            self.bar.props("indeterminate")
        else:
            self.bar.props(remove="indeterminate")
        if task.state is RunState.QUEUED:
            line = waiting(task.pid is not None)
        elif task.finished:
            line = f"{task.state} after {format_seconds(task.elapsed)}"
        else:
            line = describe(task.done, task.total, task.step, task.rate, task.eta)
            line += f" · {format_seconds(task.elapsed)} elapsed"
        self.text.set_text(line)


def output_files(task_id: str, outputs: list[str], testid: str) -> None:
    """Each output's path, with "Open file" / "Open folder" on a desktop and always a download
    through the engine (headless installs have no desktop to open files on)."""
    desktop = opener.available()
    for index, path in enumerate(outputs):
        with ui.row().classes("items-center gap-2").props(f"data-testid={testid}-{index}"):
            ui.icon("description")
            ui.label(path).classes("font-mono text-body2").props(
                f"data-testid={testid}-{index}-path"
            )
            if desktop:
                for text, folder in (("Open file", False), ("Open folder", True)):
                    ui.button(text, on_click=lambda p=path, f=folder: _open(Path(p), f)).props(
                        f"flat dense data-testid={testid}-{index}-open{'-folder' * folder}"
                    )
            ui.link("Download", f"/api/tasks/{task_id}/outputs/{index}").props(
                f"download data-testid={testid}-{index}-download"
            )


def _open(path: Path, folder: bool) -> None:
    try:
        opened = opener.open_path(path, folder=folder)
    except opener.CannotOpen as exc:
        ui.notify(str(exc), type="warning")
        return
    ui.notify(f"opened {opened}")
