"""The settings page (``/settings``): central's URL, the sync interval, "Sync now", where this
install's data lives (read-only), whether diagnostics are sent, and the app's version."""

from __future__ import annotations

from nicegui import ui

from engine import __version__, sync_state, telemetry
from engine.context import EngineContext
from engine.errors import EngineError
from engine.ui.layout import header, sync_text

DIAGNOSTICS_TEXT = (
    "Sends your team's administrators what helps them fix problems: when the app starts and "
    "stops (version, OS), sync problems, tool failures and warnings, and errors of these pages. "
    "Never the contents of your files."
)


class SettingsView:
    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        state = ctx.account_state()
        with ctx.db.read() as conn:
            interval = sync_state.interval(conn) or ctx.default_sync_interval
            diagnostics = telemetry.enabled(conn)
        with ui.column().classes("w-full max-w-3xl gap-4"):
            ui.label("Settings").classes("text-h5")
            with ui.card().classes("w-full gap-2").props("data-testid=settings-central"):
                ui.label("Central").classes("text-h6")
                if state.central_url:
                    ui.label(state.central_url).classes("font-mono").props(
                        "data-testid=settings-central-url"
                    )
                    ui.label("To use another central, sign out and sign in there.").classes(
                        "text-caption text-grey-7"
                    )
                else:
                    ui.label("Not signed in: this PC works offline.").props(
                        "data-testid=settings-central-url"
                    )
                    ui.link("Sign in", "/signin")
            with ui.card().classes("w-full gap-2").props("data-testid=settings-sync"):
                ui.label("Sync").classes("text-h6")
                self._status = ui.label("").props("data-testid=settings-sync-status")
                with ui.row().classes("items-end gap-4"):
                    low, high = sync_state.INTERVAL_RANGE
                    self._interval = (
                        ui.number(
                            "Seconds between rounds", value=interval, min=low, max=high, step=1
                        )
                        .classes("min-w-56")
                        .props("outlined data-testid=settings-interval")
                    )
                    ui.button("Save", on_click=self._save_interval).props(
                        "outline data-testid=settings-interval-save"
                    )
                    ui.button("Sync now", icon="sync", on_click=self._sync_now).props(
                        "unelevated data-testid=settings-sync-now"
                    )
                self._message = ui.label("").props("data-testid=settings-message")
                ui.link("Sync log", "/sync-log").props("data-testid=settings-sync-log")
            with ui.card().classes("w-full gap-1").props("data-testid=settings-data"):
                ui.label("Where your data lives").classes("text-h6")
                for label, path, testid in (
                    ("Data folder", ctx.data_dir, "settings-data-dir"),
                    ("Database", ctx.db.path, "settings-db-path"),
                ):
                    with ui.row().classes("items-center gap-2"):
                        ui.label(f"{label}:").classes("text-weight-medium")
                        ui.label(str(path)).classes("font-mono").props(f"data-testid={testid}")
            with ui.card().classes("w-full gap-2").props("data-testid=settings-diagnostics"):
                ui.label("Diagnostics").classes("text-h6")
                ui.switch("Send diagnostics", value=diagnostics, on_change=self._diagnostics).props(
                    "data-testid=settings-diagnostics-switch"
                )
                ui.label(DIAGNOSTICS_TEXT).classes("text-caption text-grey-7")
            ui.label(f"LocaNext {__version__}").classes("text-caption").props(
                "data-testid=settings-version"
            )
        self._refresh()
        ui.timer(2.0, self._refresh)

    def _refresh(self) -> None:
        self._status.set_text(sync_text(self._ctx.sync_status())[0])

    def _save_interval(self) -> None:
        if self._ctx.linker is None:
            self._message.set_text("This app runs without sync.")
            return
        try:
            self._ctx.linker.set_sync_interval(float(self._interval.value or 0))
        except EngineError as exc:
            self._message.classes(replace="text-negative").set_text(exc.detail)
            return
        self._message.classes(replace="text-positive").set_text(
            f"Syncs every {float(self._interval.value):g} s from now on."
        )

    def _sync_now(self) -> None:
        state = self._ctx.account_state()
        if self._ctx.linker is None or not state.signed_in:
            self._message.classes(replace="text-negative").set_text(
                "Nothing to sync with: sign in first."
            )
            return
        self._ctx.linker.sync_now()
        self._message.classes(replace="text-positive").set_text("Syncing now…")

    def _diagnostics(self, event: object) -> None:
        on = bool(getattr(event, "value", False))
        with self._ctx.db.write() as conn:
            telemetry.set_enabled(conn, on)
        ui.notify("Diagnostics are sent" if on else "Diagnostics are off: nothing is sent")


def mount(ctx: EngineContext) -> None:
    @ui.page("/settings")
    def settings_page() -> None:
        header(ctx)
        with ui.column().classes("w-full items-center q-pa-md"):
            SettingsView(ctx)
