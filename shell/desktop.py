"""The desktop app: the engine, its replicator, the account link the pages sign in with, and a
window (or a headless wait).

Shutdown is one path whatever triggers it (window closed, SIGINT, SIGTERM): stop the sync loop
and the running tasks, end a link that was not to be remembered (sending what is queued first),
stop the HTTP server, end the app session, finalize engine.db. A start after a crash ends such a
link too.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from engine import sync_state
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from replicator.account import AccountLink
from replicator.loop import Syncer

log = logging.getLogger(__name__)


def wait_for_signal() -> str:
    """Block until SIGINT or SIGTERM; returns the signal's name."""
    stopped = threading.Event()
    received: list[str] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)
        stopped.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    return received[0] if received else "signal"


def _end_link(accounts: AccountLink) -> None:
    try:
        accounts.end_if_not_remembered()
        if not accounts.settle():
            log.warning("the sign-out waits for central; the next start tries again")
    except Exception:  # the rest of the shutdown must still happen
        log.exception("ending the link to central failed")


def run_desktop(
    settings: EngineSettings,
    *,
    headless: bool = False,
    sync: bool = True,
    on_ready: Callable[[str, bool, str], None] | None = None,
) -> int:
    """Run the app until its window closes or a signal arrives; returns the exit code.

    ``on_ready(url, windowed, token_storage)`` is called once the UI is being served: ``url`` is
    the one-time launch link when headless (the window gets a link of its own), else the server's
    base URL; ``token_storage`` says where the central token is kept.
    """
    runtime = EngineRuntime(settings)
    with runtime.db.read() as conn:
        interval = sync_state.interval(conn) or settings.sync_interval
    syncer = Syncer(runtime.db, interval=interval) if sync else None
    accounts = AccountLink(
        runtime.db,
        install_name=settings.install_name,
        syncer=syncer,
        on_user_change=runtime.user_changed,
    )
    runtime.context.linker = accounts
    # Before the first page: a link the last run was to end (it crashed) is ended now.
    accounts.end_if_not_remembered()
    reason = "closed"
    try:
        url = runtime.serve()
        if syncer:
            syncer.start()
        threading.Thread(target=accounts.settle, name="account-settle", daemon=True).start()
        from shell import window

        windowed = not headless and window.display_available()
        if on_ready:
            shown = url + "/" if windowed else runtime.launch_url()
            on_ready(shown, windowed, runtime.token_storage)
        if windowed:
            from shell.dialogs import TauriDialogs

            def attach(app_handle: object) -> None:
                runtime.context.native_dialogs = TauriDialogs(app_handle, window.WINDOW_LABEL)

            try:
                code = window.open_window(runtime.launch_url(), on_app=attach)
            finally:
                runtime.context.native_dialogs = None
            reason = "window closed"
        else:
            reason = wait_for_signal()
            code = 0
    finally:
        if syncer:
            syncer.stop()
        runtime.tasks.shutdown()  # runs end (interrupted) before the link may end with them
        _end_link(accounts)
        runtime.close(reason)
    log.info("app stopped (%s)", reason)
    return code
