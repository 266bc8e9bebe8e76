"""What the HTTP routes and the pages share: the database, the operation log, the task manager,
who is working, and the link to central the app gives the pages. Its own module so that the app
and the pages both import it and neither imports the other; the runtime builds it and mounts
both."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from engine import account, sync_state
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
    def __init__(
        self,
        db: Database,
        tasks: TaskManager,
        *,
        data_dir: Path,
        configured_user: str = "",
        sync_interval: float = 5.0,
    ) -> None:
        self.db = db
        self.tasks = tasks
        self.data_dir = data_dir
        self.default_sync_interval = sync_interval  # when the user chose none
        self.operations: OperationLog = tasks.operations
        self._configured_user = configured_user
        # Set by the app when it runs a replicator; without it the pages cannot sign in.
        self.linker: account.Linker | None = None
        # Set by the window while it is open; None in a browser (the pages then use their own
        # picker of the user's folders).
        self.native_dialogs: NativeDialogs | None = None
        # Reports read once for the results grids and the API, a page at a time.
        self.reports = ReportReader()

    @property
    def username(self) -> str:
        """Who runs are recorded under now (it changes when someone signs in or out)."""
        with self.db.read() as conn:
            return account.username(conn, self._configured_user)

    def account_state(self) -> account.AccountState:
        with self.db.read() as conn:
            return account.state(conn)

    def sync_status(self) -> sync_state.SyncStatus:
        with self.db.read() as conn:
            return sync_state.status(conn)

    def notice(self) -> account.Notice | None:
        """What the header says when the user must act on the account, if anything."""
        with self.db.read() as conn:
            return account.notice(account.state(conn), sync_state.status(conn))

    def users(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            cursor = conn.execute(
                "SELECT username, display_name, team, language, role, active FROM users"
                " ORDER BY username"
            )
            columns = [c[0] for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
