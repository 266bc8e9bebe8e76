"""Central over real HTTP with a clock the test moves (no sleeping for expiry), and staff
sign-in helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from central.api.app import create_app
from central.settings import CentralSettings
from central.throttle import SignInThrottle
from engine.server import BackgroundServer
from tests.conftest import ADMIN_PASSWORD


class ManualClock:
    """Central's clock in a test: the real time when made, then only what the test adds."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Central:
    url: str
    engine: Engine
    clock: ManualClock
    app: FastAPI

    def flush_pulls(self) -> None:
        """Write the pulls central keeps in memory (it does about once a second)."""
        self.app.state.pull_log.flush()

    @contextmanager
    def staff(
        self, username: str = "admin", password: str = ADMIN_PASSWORD
    ) -> Iterator[httpx.Client]:
        """An HTTP client signed in as this staff member; signed out afterwards."""
        response = httpx.post(
            f"{self.url}/api/admin/session", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        token = response.json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=self.url, headers=bearer) as client:
            yield client
            client.delete("/api/admin/session")  # may already be over; then this is a 401

    def add_user(self, username: str, role: str = "translator", **fields: Any) -> None:
        with self.staff() as admin:
            body = {"username": username, "password": f"{username}-password", "role": role}
            response = admin.post("/api/admin/users", json=body | fields)
            assert response.status_code == 201, response.text


@contextmanager
def serve(
    engine: Engine, dsn: str, throttle: SignInThrottle | None = None, **settings: Any
) -> Iterator[Central]:
    clock = ManualClock()
    app = create_app(
        CentralSettings(central_dsn=dsn, **settings), engine, clock=clock, throttle=throttle
    )
    server = BackgroundServer(app)
    try:
        yield Central(server.start(), engine, clock, app)
    finally:
        server.stop()
