"""What the HTTP routes and the pages share: the database, the operation log, the task manager and
who is working. Its own module so that the app and the pages both import it and neither imports
the other; the runtime builds it and mounts both."""

from __future__ import annotations

import getpass
from typing import Any, Protocol

from engine import local_settings, sync_state
from engine.db import Database
from engine.operations import OperationLog
from engine.tasks import TaskManager
from engine.tasks.report_rows import ReportReader


class NativeDialogs(Protocol):
    """The desktop's own file dialogs, offered by the window (shell); each call blocks until the
    user chose (a list or a path) or cancelled (empty list, None)."""

    def pick_files(self, title: str) -> list[str]: ...

    def pick_folder(self, title: str) -> str | None: ...

    def save_file(self, title: str, name: str) -> str | None: ...


class EngineContext:
    def __init__(self, db: Database, tasks: TaskManager, configured_user: str = "") -> None:
        self.db = db
        self.tasks = tasks
        self.data_dir = tasks.data_dir
        # Set by the window while it is open; None in a browser (the pages then use their own
        # picker of the user's folders).
        self.native_dialogs: NativeDialogs | None = None
        self.operations: OperationLog = tasks.operations
        # Reports read once for the results grids and the API, a page at a time.
        self.reports = ReportReader()
        self._configured_user = configured_user

    @property
    def username(self) -> str:
        """Who runs are recorded under, read at each use: the enrolled user once this install is
        linked (central takes an install's runs only under that name, and a link can be made while
        the app runs), else the configured name, else the OS account."""
        with self.db.read() as conn:
            enrolled = local_settings.get(conn, "enrolled_user")
        return enrolled or self._configured_user or getpass.getuser()

    def sync_status(self) -> sync_state.SyncStatus:
        with self.db.read() as conn:
            return sync_state.status(conn)

    def users(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            cursor = conn.execute(
                "SELECT username, display_name, team, language, role, active FROM users"
                " ORDER BY username"
            )
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
