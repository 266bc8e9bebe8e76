"""The sign-in page (``/signin``, the app's first page until someone signs in or chooses to work
offline) and the account page (``/account``: who is signed in, the profile, sign out and switch
user, and what to do about a refused account)."""

from __future__ import annotations

import logging

from nicegui import run, ui

from engine import account
from engine.account import AccountError, AccountState
from engine.context import EngineContext
from engine.errors import EngineError
from engine.sync_state import FailureKind
from engine.ui.layout import header

# What the sign-in page says for central's codes (and the linker's own); others show the detail.
SIGN_IN_MESSAGES = {
    "wrong_credentials": "Wrong user name or password.",
    "account_disabled": "This account is disabled. Ask your administrator to enable it.",
    "revoked": "An administrator revoked this PC's link. Ask them to restore it.",
    "install_taken": "This PC is linked to another user. Ask your administrator to reset it "
    "for you.",
    "already_enrolled": "This PC is linked already, but its sign-in was lost. Ask your "
    "administrator to reset it.",
    "update_required": "Central needs a newer LocaNext. Update the app, then sign in.",
}
log = logging.getLogger(__name__)

LANGUAGES = ["ko", "en", "ja", "zh-Hans", "zh-Hant", "fr", "de", "es", "pt-BR", "ru", "th", "vi"]


def sign_in_message(error: AccountError) -> str:
    return SIGN_IN_MESSAGES.get(error.code, error.detail)


class SignInForm:
    def __init__(self, ctx: EngineContext, state: AccountState) -> None:
        self._ctx = ctx
        with ui.card().classes("w-full max-w-md q-pa-lg gap-3").props("data-testid=signin-card"):
            ui.label("Sign in to LocaNext").classes("text-h5")
            ui.label(
                "Signing in links this PC to your team's server so your work syncs and you see "
                "the team's shared data. Every tool works without it."
            ).classes("text-body2 text-grey-8")
            if state.signing_out and state.user:
                waiting = "items-center gap-2 no-wrap q-pa-sm bg-amber-1 text-brown-10"
                with ui.row().classes(waiting):
                    ui.icon("schedule", size="sm")
                    ui.label(_waiting_text(ctx, state.user)).props("data-testid=signin-waiting")
            self.url = (
                ui.input(
                    "Central's URL",
                    value=state.last_central_url or "",
                    placeholder="http://team-server:8700",
                )
                .classes("w-full")
                .props("outlined data-testid=signin-url autocomplete=url")
            )
            self.user = (
                ui.input("User name")
                .classes("w-full")
                .props("outlined data-testid=signin-user autocomplete=username")
            )
            self.password = ui.input("Password", password=True, password_toggle_button=True)
            self.password.classes("w-full")
            self.password.props(
                "outlined data-testid=signin-password autocomplete=current-password"
            )
            self.password.on("keydown.enter", self.submit)
            self.remember = ui.checkbox("Remember me", value=True).props(
                "data-testid=signin-remember"
            )
            ui.label(
                "Without it, this PC signs out (after sending your changes) when the app closes."
            ).classes("text-caption text-grey-7")
            self.error = (
                ui.label("").classes("text-negative").props("data-testid=signin-error role=alert")
            )
            with ui.row().classes("w-full items-center justify-between"):
                self.button = ui.button("Sign in", on_click=self.submit).props(
                    "unelevated data-testid=signin-submit"
                )
                ui.button("Work offline", on_click=self.offline).props(
                    "flat no-caps data-testid=signin-offline"
                )

    async def submit(self) -> None:
        linker = self._ctx.linker
        if linker is None:
            self.error.set_text("This app runs without sync; signing in is not available.")
            return
        url, user, password = (
            (self.url.value or "").strip(),
            (self.user.value or "").strip(),
            (self.password.value or ""),
        )
        if not url or not user or not password:
            self.error.set_text("Give central's URL, your user name and your password.")
            return
        self.error.set_text("")
        self.button.props("loading")
        try:
            await run.io_bound(linker.sign_in, url, user, password, bool(self.remember.value))
        except AccountError as exc:
            self.error.set_text(sign_in_message(exc))
            return
        finally:
            self.password.set_value("")  # never kept, not even in the page
            self.button.props(remove="loading")
        ui.navigate.to("/")

    def offline(self) -> None:
        with self._ctx.db.write() as conn:
            account.choose_offline(conn)
        ui.navigate.to("/")


def _waiting_text(ctx: EngineContext, user: str) -> str:
    pending = ctx.sync_status().pending_changes
    return (
        f"{user} signed out, but {pending} change(s) of theirs have not reached central yet. "
        f"They are sent as soon as central can be reached; until then only {user} can sign in "
        f"here, and runs are recorded under {user}."
    )


def _why_waiting(ctx: EngineContext) -> str:
    failure = ctx.sync_status().last_failure
    if failure is None or failure.kind.offline:
        return "Central cannot be reached, so the link stays until your changes are sent."
    code = f" ({failure.code})" if failure.code else ""
    return f"Central refused{code}: {failure.detail}. The link stays until your changes are sent."


def signin_page(ctx: EngineContext) -> None:
    state = ctx.account_state()
    with ui.column().classes("w-full items-center q-pa-xl gap-4"):
        if state.signed_in:
            with ui.card().classes("w-full max-w-md q-pa-lg gap-3"):
                ui.label(f"Signed in as {state.user}").classes("text-h6").props(
                    "data-testid=signin-already"
                )
                ui.label(f"at {state.central_url}").classes("text-body2")
                with ui.row():
                    ui.button("Continue", on_click=lambda: ui.navigate.to("/"))
                    ui.button("Switch user…", on_click=lambda: ui.navigate.to("/account?switch=1"))
            return
        SignInForm(ctx, state)


class AccountView:
    def __init__(self, ctx: EngineContext, *, ask_sign_out: bool, switch: bool) -> None:
        self._ctx = ctx
        state = ctx.account_state()
        with ui.column().classes("w-full max-w-3xl gap-4"):
            ui.label("Account").classes("text-h5")
            notice = ctx.notice()
            if notice is not None:
                with ui.card().classes("w-full bg-red-1").props("data-testid=account-notice-card"):
                    ui.label(notice.title).classes("text-h6 text-negative")
                    ui.label(notice.message)
                    if notice.kind == FailureKind.COPIED_DATABASE:
                        ui.button(notice.action, on_click=self.rekey).props(
                            "unelevated data-testid=account-rekey"
                        )
                    elif notice.target not in ("/account",):
                        ui.button(notice.action, on_click=lambda: ui.navigate.to(notice.target))
                    if notice.kind != FailureKind.COPIED_DATABASE and ctx.sync_status().parked:
                        # Sync waits for the user; once the cause is lifted, this is the act.
                        ui.button("Try again now", on_click=self._sync_now).props(
                            "outline data-testid=account-sync-now"
                        )
            self._who(state)
            if state.user is not None:
                ProfileForm(ctx, state.user)
        if ask_sign_out and state.user is not None:
            self.confirm_sign_out(switch)

    def _sync_now(self) -> None:
        if self._ctx.linker is not None:
            self._ctx.linker.sync_now()
        ui.notify("Trying again…")

    async def rekey(self) -> None:
        """A copy of this install (or an older one) may not push under its id: give it its own,
        keeping every row, then sign in again."""
        linker = self._ctx.linker
        if linker is None:
            ui.notify("This app runs without sync; run `locanext rekey` instead.", type="warning")
            return
        report = await run.io_bound(linker.rekey)
        ui.notify(f"This PC is now install {report}; sign in again to send its changes.")
        ui.navigate.to("/signin")

    def _who(self, state: AccountState) -> None:
        with ui.card().classes("w-full").props("data-testid=account-who"):
            if state.user is None:
                ui.label("You are working offline: nobody is signed in.").classes("text-h6")
                ui.label(
                    "Runs are recorded on this PC and sent, under your name, once you sign in."
                )
                ui.button("Sign in…", on_click=lambda: ui.navigate.to("/signin")).props(
                    "data-testid=account-sign-in"
                )
                return
            if state.signing_out:
                ui.label(_waiting_text(self._ctx, state.user)).props("data-testid=account-waiting")
            ui.label(f"Signed in as {state.user}").classes("text-h6")
            ui.label(
                f"at {state.central_url}; "
                + ("remembered on this PC" if state.remember else "signs out when the app closes")
            ).classes("text-body2")
            with ui.row():
                ui.button("Switch user…", on_click=lambda: self.confirm_sign_out(True)).props(
                    "outline data-testid=account-switch"
                )
                ui.button("Sign out…", on_click=lambda: self.confirm_sign_out(False)).props(
                    "outline data-testid=account-sign-out"
                )

    def confirm_sign_out(self, switch: bool) -> None:
        pending = self._ctx.sync_status().pending_changes
        running = self._ctx.tasks.active()
        with ui.dialog() as dialog, ui.card().props("data-testid=sign-out-dialog"):
            ui.label("Switch user" if switch else "Sign out").classes("text-h6")
            if running:
                ui.label(
                    f"{len(running)} tool run(s) are still going. Wait for them to end, or "
                    "cancel them on the Tasks page, then sign out."
                ).props("data-testid=sign-out-blocked")
                ui.button("Close", on_click=dialog.close)
                dialog.open()
                return
            ui.label(
                f"Your {pending} change(s) waiting to sync are sent first, then this PC's link "
                "ends. Nothing is lost: if central cannot be reached, they stay here under your "
                "name and are sent as soon as it can."
                if pending
                else "This PC's link to central ends. Everything you did is already at central."
            )
            status = ui.label("").props("data-testid=sign-out-status")
            with ui.row():
                cancel = ui.button("Cancel", on_click=dialog.close).props("flat")
                confirm = ui.button("Sign out", color="negative").props(
                    "data-testid=sign-out-confirm"
                )

        async def sign_out() -> None:
            linker = self._ctx.linker
            if linker is None:
                status.set_text("This app runs without sync; there is no link to end.")
                return
            confirm.props("loading")
            try:
                ended = await run.io_bound(linker.sign_out)
            finally:
                confirm.props(remove="loading")
            if ended:
                dialog.close()
                ui.navigate.to("/signin")
                return
            user = self._ctx.account_state().user or "you"
            status.set_text(f"{_why_waiting(self._ctx)} {_waiting_text(self._ctx, user)}")
            confirm.set_visibility(False)
            cancel.set_text("Close")

        confirm.on_click(sign_out)
        dialog.open()


class ProfileForm:
    def __init__(self, ctx: EngineContext, user: str) -> None:
        self._ctx, self._user = ctx, user
        with ui.card().classes("w-full gap-2").props("data-testid=profile"):
            ui.label("Profile").classes("text-h6")
            with ctx.db.read() as conn:
                mine = account.profile(conn, user)
            if mine is None:
                ui.label(
                    "Your profile arrives from central with the first sync. Sync now, or wait "
                    "a moment."
                ).props("data-testid=profile-missing")
                ui.button("Sync now", on_click=self._sync_now).props("outline")
                return
            ui.label(f"Role: {mine.role} (an administrator changes it)").props(
                "data-testid=profile-role"
            )
            self.display_name = ui.input("Display name", value=mine.display_name)
            self.display_name.classes("w-full max-w-md").props(
                "outlined data-testid=profile-display-name"
            )
            self.team = ui.input("Team", value=mine.team).classes("w-full max-w-md")
            self.team.props("outlined data-testid=profile-team")
            self.language = ui.input("Language", value=mine.language, autocomplete=LANGUAGES)
            self.language.classes("w-full max-w-md").props("outlined data-testid=profile-language")
            self.message = ui.label("").props("data-testid=profile-message")
            ui.button("Save", on_click=self.save).props("unelevated data-testid=profile-save")

    def _sync_now(self) -> None:
        if self._ctx.linker is not None:
            self._ctx.linker.sync_now()
        ui.notify("Syncing…")

    def save(self) -> None:
        try:
            with self._ctx.db.write() as conn:
                changed = account.save_profile(
                    conn,
                    self._user,
                    display_name=self.display_name.value or "",
                    team=self.team.value or "",
                    language=self.language.value or "",
                )
        except EngineError as exc:
            self.message.classes(replace="text-negative").set_text(exc.detail)
            return
        self.message.classes(replace="text-positive").set_text(
            "Saved. It reaches central with the next sync." if changed else "Nothing changed."
        )


def mount(ctx: EngineContext) -> None:
    @ui.page("/signin")
    def signin() -> None:
        log.info("the sign-in page is shown")
        header(ctx)
        signin_page(ctx)

    @ui.page("/account")
    def account_page(sign_out: bool = False, switch: bool = False) -> None:
        header(ctx)
        with ui.column().classes("w-full items-center q-pa-md"):
            AccountView(ctx, ask_sign_out=sign_out or switch, switch=switch)
