"""Calling a running engine the way a user's script does: with this launch's key from the data
dir (``engine.access``); without it the engine refuses everything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from engine import access


def auth_headers(data_dir: Path) -> dict[str, str]:
    return {"Authorization": f"Bearer {access.read_key(data_dir)}"}


def client(data_dir: Path, timeout: float = 30.0) -> httpx.Client:
    """An HTTP client with the key of the app running on ``data_dir``; takes absolute URLs."""
    return httpx.Client(headers=auth_headers(data_dir), timeout=timeout)


def get(data_dir: Path, url: str, **kwargs: Any) -> httpx.Response:
    """One GET with the key (a client of its own, closed again)."""
    with client(data_dir) as api:
        return api.get(url, **kwargs)


def post(data_dir: Path, url: str, **kwargs: Any) -> httpx.Response:
    with client(data_dir) as api:
        return api.post(url, **kwargs)
