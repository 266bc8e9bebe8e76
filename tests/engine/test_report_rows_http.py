"""GET /api/tasks/{id}/outputs/{i}/rows over real HTTP: a page of a run's report; a run, output
or parameter that does not fit is refused with a status and a stable code."""

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
    """The engine's base URL and a client with this launch's key."""
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "app", username="mina"))
    try:
        url = runtime.serve(with_ui=False)
        with engine_api.client(runtime.settings.data_dir) as client:
            yield url, client
    finally:
        runtime.close()


def test_report_rows_of_a_run(engine: tuple[str, httpx.Client], tmp_path: Path) -> None:
    engine, http = engine
    strings = tmp_path / "strings"
    strings.mkdir()
    rows = "".join(
        f'<LocStr StringId="S{i:02}" StrOrigin="검 {i}" Str="Sword {i}"/>' for i in range(30)
    )
    (strings / "ko.xml").write_text(f"<LanguageData>{rows}</LanguageData>", "utf-8")
    built = http.post(
        f"{engine}/api/tools/quick_search/run",
        json={"inputs": [str(strings)], "function": "build_dictionary",
              "params": {"game": "g", "language": "ko"}},
        timeout=120,
    ).json()  # fmt: skip
    search = http.post(
        f"{engine}/api/tools/quick_search/run",
        json={"inputs": [str(strings)], "function": "search",
              "params": {"dictionary": "g-ko", "query": "검"}},
        timeout=120,
    ).json()  # fmt: skip
    assert built["status"] == search["status"] == "succeeded"
    base = f"{engine}/api/tasks/{search['operation_id']}/outputs/0/rows"
    page = http.get(base, params={"offset": 10, "limit": 5, "sort": "string_id", "desc": True})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 30 and body["columns"][:2] == ["query", "string_id"]
    assert [r["string_id"] for r in body["rows"]] == ["S19", "S18", "S17", "S16", "S15"]
    assert http.get(base, params={"q": "Sword 7"}).json()["total"] == 1

    for url, params, status, code in [
        (f"{engine}/api/tasks/nope/outputs/0/rows", {}, 404, "no_such_output"),
        (f"{engine}/api/tasks/{search['operation_id']}/outputs/9/rows", {}, 404, "no_such_output"),
        (base, {"limit": 0}, 422, "invalid_request"),
        (base, {"offset": -1}, 422, "invalid_request"),
        (base, {"q": "x" * 501}, 422, "invalid_request"),
    ]:
        refused = http.get(url, params=params)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
