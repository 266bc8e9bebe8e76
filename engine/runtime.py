"""The running engine: opens engine.db, records the app session, runs tool tasks, serves the UI
and API.

Used by the desktop shell (window or headless) and by the CLI. ``close()`` stops the tasks still
running (their rows end ``interrupted``), stops the server, ends the session and finalizes the
database; it is safe to call more than once.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from typing import TYPE_CHECKING

from engine import __version__, access, account, install, telemetry, token_store
from engine.context import EngineContext
from engine.db import Database
from engine.operations import OperationLog
from engine.settings import EngineSettings
from engine.tasks import TaskManager, provided
from engine.telemetry import Level

if TYPE_CHECKING:
    from engine.server import BackgroundServer

log = logging.getLogger(__name__)

# The tools (numpy, openpyxl...) are imported, and the spare workers started, this long after the
# server starts, off the first page's path, so that the Apps page opens and a run starts at once
# later.
WARM_TOOLS_AFTER = 2.0


class EngineRuntime:
    def __init__(self, settings: EngineSettings, *, task_workers: int = 2) -> None:
        self.settings = settings
        self.db = Database(settings.db_path)
        self._started = time.monotonic()
        try:
            install.register(self.db, settings.install_name)
            interrupted = OperationLog(self.db).mark_interrupted()
            if interrupted:
                log.warning("%d run(s) were interrupted by the previous shutdown", interrupted)
            # Runs cut off by a crash were marked interrupted above, before any new task starts.
            self.tasks = TaskManager(
                OperationLog(self.db),
                settings.data_dir,
                max_workers=task_workers,
                spare_workers=settings.spare_workers,
                provide=provided.provider(self.db, settings.data_dir),
            )
            self.context = EngineContext(
                self.db,
                self.tasks,
                data_dir=settings.data_dir,
                configured_user=settings.username,
                sync_interval=settings.sync_interval,
            )
            # Opening the store also moves a token an earlier LocaNext kept in engine.db.
            self.token_storage = token_store.open_store(self.db).where
            self._session = install.start_session(self.db, self.username)
            with self.db.write() as conn:
                telemetry.record(conn, Level.INFO, "app", "started", _platform(), __version__)
        except BaseException:
            self.db.close()
            raise
        self._server: BackgroundServer | None = None
        self.keys = access.LaunchKeys()
        self._warm: threading.Timer | None = None
        self._closed = False

    @property
    def username(self) -> str:
        """Who runs are recorded under now: the signed-in user, else the configured name, else
        nobody (``""``; the next user to sign in adopts them)."""
        with self.db.read() as conn:
            return account.username(conn, self.settings.username)

    def user_changed(self, reason: str) -> None:
        """Someone signed in or out: the app session of the previous user ends and one of the
        new user (or of nobody) begins."""
        install.end_session(self.db, self._session, reason)
        self._session = install.start_session(self.db, self.username)

    def serve(self, *, with_ui: bool = True) -> str:
        """Start the HTTP server on 127.0.0.1 and a free port; returns its base URL.

        Only this launch's key opens it (``engine.access``): :meth:`launch_url` hands it to a
        browser, ``<data dir>/api-key`` to the user's scripts."""
        # Here, not at the top: `locanext tool` runs a runtime that never serves, and FastAPI and
        # uvicorn are a good part of its start.
        from engine.app import create_app
        from engine.server import BackgroundServer

        app = create_app(self.context)
        if with_ui:
            # Imported here: NiceGUI takes about a second to import, and `locanext tool` runs a
            # runtime that never serves.
            from engine.ui import pages

            pages.mount(app, self.context)
        # Added last, so it is the outermost layer: nothing (pages, socket.io, static files)
        # runs before the checks.
        app.add_middleware(access.LocalOnly, keys=self.keys)
        access.write_key(self.settings.data_dir, self.keys.key)
        self._server = BackgroundServer(app)
        url = self._server.start()
        self._warm = threading.Timer(WARM_TOOLS_AFTER, self._warm_tools)
        self._warm.daemon = True
        self._warm.start()
        return url

    def _warm_tools(self) -> None:
        from engine.tools.registry import registry

        registry()
        try:
            self.tasks.start_spares()
        except Exception:  # runs then start their own workers
            log.exception("could not start the spare workers")

    def launch_url(self, path: str = "/") -> str:
        """A one-time link that lets a browser (or the window) in; the server must be running."""
        assert self._server is not None, "serve() first"
        return access.launch_url(self._server.url, self.keys.issue(), path)

    def close(self, reason: str = "closed") -> None:
        if self._closed:
            return
        self._closed = True
        if self._warm is not None:
            self._warm.cancel()
        try:
            self.tasks.shutdown()
        except Exception:  # the rest of the shutdown must still happen
            log.exception("stopping the running tasks failed")
        if self._server is not None:
            self._server.stop()
            access.remove_key(self.settings.data_dir, self.keys.key)
        try:
            install.end_session(self.db, self._session, reason)
            with self.db.write() as conn:
                uptime = round(time.monotonic() - self._started, 1)
                telemetry.record(conn, Level.INFO, "app", "stopped", {"reason": reason}, uptime)
        finally:
            self.db.close()


def _platform() -> dict[str, str]:
    return {
        "version": __version__,
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "python": platform.python_version(),
    }
