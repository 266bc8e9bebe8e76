"""The account's part of every page's header: the account menu (who is signed in; profile,
settings, sync log, switch user, sign out) and, only when the user must act, a loud notice
(revoked, disabled, expired sign-in, update required, a refusal) with its message and a way
forward in a banner under the header. The quiet sync badge stays beside it."""

from __future__ import annotations

from nicegui import ui

from engine.account import AccountState, Notice
from engine.context import EngineContext
from engine.ui import diagnostics

REFRESH_SECONDS = 2.0


def _menu_label(state: AccountState) -> str:
    if state.user is None:
        return "Not signed in"
    if state.signing_out:
        return f"{state.user} · signing out"
    return state.user


class AccountArea:
    """Lives in the header (the menu and the notice chip); :meth:`banner` goes under it."""

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        self._shown: tuple[str | None, Notice | None] | None = None
        with ui.row().classes("items-center gap-2 no-wrap").props("data-testid=account-area"):
            self._chip = (
                ui.button(icon="error", color="negative")
                .props("dense unelevated no-caps data-testid=account-notice")
                .on_click(self._follow_notice)
            )
            self._menu_button = ui.button(icon="account_circle").props(
                "flat no-caps text-color=white data-testid=account-menu"
            )
            with self._menu_button, ui.menu().props("data-testid=account-menu-items") as self._menu:
                self._items = ui.column().classes("gap-0")
        self._banner_box: ui.column | None = None
        self._banner_text: ui.label | None = None
        self._banner_button: ui.button | None = None
        self._notice: Notice | None = None
        diagnostics.listen(ctx)

    def banner(self) -> None:
        """The notice's message and its way forward, under the header (hidden when none)."""
        with (
            ui.row()
            .classes("w-full items-center gap-4 px-4 py-2 bg-red-1 text-red-10")
            .props("data-testid=account-banner role=alert") as box
        ):
            ui.icon("error", size="sm", color="negative")
            self._banner_text = ui.label("").classes("grow")
            self._banner_text.props("data-testid=account-banner-text")
            self._banner_button = (
                ui.button("", color="negative")
                .props("unelevated no-caps data-testid=account-banner-action")
                .on_click(self._follow_notice)
            )
        self._banner_box = box
        self.refresh()
        ui.timer(REFRESH_SECONDS, self.refresh)

    def _follow_notice(self) -> None:
        if self._notice is not None:
            ui.navigate.to(self._notice.target)

    def refresh(self) -> None:
        state, notice = self._ctx.account_state(), self._ctx.notice()
        if self._shown == (_menu_label(state), notice):
            return
        self._shown = (_menu_label(state), notice)
        self._notice = notice
        self._menu_button.set_text(_menu_label(state))
        self._chip.set_visibility(notice is not None)
        if notice is not None:
            self._chip.set_text(notice.title)
            self._chip.tooltip(notice.message)
        if self._banner_box is not None and self._banner_text and self._banner_button:
            self._banner_box.set_visibility(notice is not None)
            if notice is not None:
                self._banner_text.set_text(f"{notice.title}: {notice.message}")
                self._banner_button.set_text(notice.action)
        self._items.clear()
        with self._items:
            self._menu_items(state)

    def _menu_items(self, state: AccountState) -> None:
        if state.user is not None:
            who = f"Signed in as {state.user}" if not state.signing_out else "Signing out"
            ui.item_label(who).props("header").classes("text-weight-bold")
        for text, target, testid in (
            ("Profile", "/account", "menu-profile"),
            ("Settings", "/settings", "menu-settings"),
            ("Sync log", "/sync-log", "menu-sync-log"),
        ):
            ui.menu_item(text, lambda t=target: ui.navigate.to(t)).props(f"data-testid={testid}")
        ui.separator()
        if state.signed_in:
            ui.menu_item("Switch user…", lambda: ui.navigate.to("/account?switch=1")).props(
                "data-testid=menu-switch-user"
            )
            ui.menu_item("Sign out…", lambda: ui.navigate.to("/account?sign_out=1")).props(
                "data-testid=menu-sign-out"
            )
        else:
            ui.menu_item("Sign in…", lambda: ui.navigate.to("/signin")).props(
                "data-testid=menu-sign-in"
            )
