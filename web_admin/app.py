"""The admin console: NiceGUI pages on FastAPI, reading the PostgreSQL mirror directly.

It reads as a role that may only SELECT (``locanext_reader``), on connections that are read-only
too; every change (users, installs, announcements, releases) is a call to central's API with the
viewer's own staff session, so it goes through central's checks and merge path.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI
from nicegui import app as nicegui_app
from nicegui import ui
from sqlalchemy import Engine, create_engine

from web_admin import api, signin
from web_admin.auth import Gate, SameOrigin
from web_admin.frame import Console
from web_admin.live import MergeSignal
from web_admin.pages import conflicts, installs, lists, live, overview, publishing, users


def read_only_engine(url: str) -> Engine:
    """``url`` is a SQLAlchemy URL with its driver (the CLI normalises what the user gave)."""
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"options": "-c default_transaction_read_only=on -c jit=off"},
    )


def create_app(engine: Engine, central_url: str, secret: str | None = None) -> FastAPI:
    app = FastAPI(title="LocaNext admin")
    gate = Gate(central_url, secret or secrets.token_urlsafe(32))
    signal = MergeSignal(engine)
    console = Console(engine, gate, central_url, signal)
    nicegui_app.on_startup(signal.start)
    nicegui_app.on_shutdown(signal.stop)

    @app.get("/api/health", include_in_schema=False)
    def health() -> dict[str, bool]:
        return {"ok": True}

    app.include_router(signin.router(gate))
    app.include_router(api.router(gate, engine))
    app.add_exception_handler(api.ConsoleRefusal, api.refusal_response)
    for pages in (overview, live, lists, users, installs, conflicts, publishing):
        pages.register(console)
    ui.run_with(app, title="LocaNext admin", show_welcome_message=False, dark=None)
    app.add_middleware(SameOrigin)
    return app
