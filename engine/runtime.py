"""The running engine: opens engine.db, records the app session, serves the UI and API.

Used by the desktop shell (window or headless) and by the CLI. ``close()`` ends the session and
finalizes the database; it is safe to call more than once.
"""

from __future__ import annotations

import getpass
import logging

from engine import install, local_settings
from engine.app import EngineContext, create_app
from engine.db import Database
from engine.operations import OperationLog
from engine.server import BackgroundServer
from engine.settings import EngineSettings

log = logging.getLogger(__name__)


class EngineRuntime:
    def __init__(self, settings: EngineSettings) -> None:
        self.settings = settings
        self.db = Database(settings.db_path)
        try:
            install.register(self.db, settings.install_name)
            interrupted = OperationLog(self.db).mark_interrupted()
            if interrupted:
                log.warning("%d run(s) were interrupted by the previous shutdown", interrupted)
            self.username = self._username()
            self._session = install.start_session(self.db, self.username)
        except BaseException:
            self.db.close()
            raise
        self.context = EngineContext(self.db, self.username, settings.data_dir)
        self._server: BackgroundServer | None = None
        self._closed = False

    def _username(self) -> str:
        if self.settings.username:
            return self.settings.username
        with self.db.read() as conn:
            enrolled = local_settings.get(conn, "enrolled_user")
        return enrolled or getpass.getuser()

    def serve(self, *, with_ui: bool = True) -> str:
        """Start the HTTP server on 127.0.0.1 and a free port; returns its base URL."""
        self._server = BackgroundServer(create_app(self.context, with_ui=with_ui))
        return self._server.start()

    def close(self, reason: str = "closed") -> None:
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            self._server.stop()
        try:
            install.end_session(self.db, self._session, reason)
        finally:
            self.db.close()
