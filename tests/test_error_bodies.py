"""The engine and central refuse in one shape: ``{"code", "detail"}`` with a 4xx, over real HTTP
to each real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from tests import engine_api


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[tuple[str, httpx.Client]]:
    """The engine's URL and a client with its launch key."""
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "app", username="mina"))
    try:
        url = runtime.serve(with_ui=False)
        with engine_api.client(tmp_path / "app") as client:
            yield url, client
    finally:
        runtime.close()


def _refusal(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"code", "detail"}, body
    assert isinstance(body["code"], str) and isinstance(body["detail"], str) and body["detail"]
    return response.status_code, body["code"], body["detail"]


def test_engine_and_central_refuse_with_the_same_body(
    engine: tuple[str, httpx.Client], central_url: str, tmp_path: Path
) -> None:
    engine_url, api = engine
    engine_unknown = api.post(
        f"{engine_url}/api/tasks", json={"tool": "nope", "inputs": [str(tmp_path / "a.txt")]}
    )
    central_unauthorized = httpx.get(
        f"{central_url}/api/sync/state", headers={"Authorization": "Bearer not-a-token"}
    )
    status, code, detail = _refusal(engine_unknown)
    assert (status, code) == (404, "unknown_tool") and "nope" in detail
    status, code, _ = _refusal(central_unauthorized)
    assert (status, code) == (401, "unauthorized")
    # the engine's guard (no launch key) answers in the same shape
    status, code, _ = _refusal(httpx.get(f"{engine_url}/api/tasks"))
    assert (status, code) == (401, "unauthorized")

    # Request validation answers alike on both sides too.
    engine_invalid = api.post(f"{engine_url}/api/tasks", json={"inputs": "not a list"})
    central_invalid = httpx.post(f"{central_url}/api/enroll", json={"username": 3})
    for response in (engine_invalid, central_invalid):
        status, code, _ = _refusal(response)
        assert (status, code) == (422, "invalid_request")
