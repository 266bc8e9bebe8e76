"""Central over real HTTP that a test stops and starts again on the same port (central going
away and coming back, as installs see it), with its users made through the admin API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from central.admin_client import AdminClient
from central.api.app import create_app
from central.settings import CentralSettings
from engine.server import BackgroundServer
from tests.conftest import ADMIN_PASSWORD


class RestartableCentral:
    def __init__(self, engine: Engine, dsn: str) -> None:
        self.engine, self._dsn, self.port = engine, dsn, 0
        self._server: BackgroundServer | None = None

    def start(self) -> str:
        app = create_app(CentralSettings(dsn=self._dsn), self.engine)
        self._server = BackgroundServer(app, port=self.port)
        self.port = self._server.port
        return self._server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def admin(self) -> AdminClient:
        """The administration API, signed in as the admin (sign out by leaving the block)."""
        return AdminClient.signed_in(self.url, "admin", ADMIN_PASSWORD)


@contextmanager
def running(engine: Engine, dsn: str, users: tuple[str, ...] = ()) -> Iterator[RestartableCentral]:
    """Central, started, with ``users`` (password ``<name>-password``); stopped afterwards."""
    central = RestartableCentral(engine, dsn)
    central.start()
    try:
        with central.admin() as admin:
            for user in users:
                admin.post("/api/admin/users", {"username": user, "password": f"{user}-password"})
        yield central
    finally:
        central.stop()
