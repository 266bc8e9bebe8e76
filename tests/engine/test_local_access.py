"""Only the app's own pages (and the user's scripts, with the launch's key) may call the engine.

A real `locanext app --headless` is probed the way a hostile web page in the translator's
browser could: a DNS-rebinding Host, a foreign Origin, no key, WebSockets (the task feed and
NiceGUI's socket.io), a body without a JSON content type. Each is refused with a status and a
code, and nothing changes: no task is started, no operation row is written.
"""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from engine import access, token_store
from shell.processes import Child
from tests import engine_api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


class App:
    def __init__(self, child: Child, data: Path) -> None:
        self.child = child
        self.data = data
        self.url = child.app_url()
        self.key = access.read_key(data)
        self.port = urlsplit(self.url).port

    def api(self) -> httpx.Client:
        return engine_api.client(self.data)

    def recorded(self) -> tuple[int, int]:
        """(tasks listed, operation rows), read with the key."""
        with self.api() as api:
            tasks = api.get(f"{self.url}/api/tasks").json()
            operations = api.get(f"{self.url}/api/operations").json()
        return len(tasks["running"]) + len(tasks["history"]), len(operations)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    root = tmp_path_factory.mktemp("access")
    data = root / "app"
    child = Child(
        "app", ["app", "--headless", "--no-sync", "--data-dir", str(data)], root / "app.log"
    )
    try:
        yield App(child, data)
    finally:
        assert child.stop() == 0


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = tmp_path / "ui_ko.txt"
    path.write_text("시작하기\n설정\n", encoding="utf-8")
    return path


def _refused(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


def test_the_key_file_is_readable_only_by_the_user(app: App) -> None:
    mode = stat.S_IMODE((app.data / access.KEY_FILE).stat().st_mode)
    assert mode == 0o600
    assert len(app.key) >= 40


def test_a_rebound_host_is_refused_even_with_the_key(app: App, sample: Path) -> None:
    before = app.recorded()
    with app.api() as api:
        for host in ("attacker.example", f"attacker.example:{app.port}", "[bad", ""):
            headers = {"Host": host}
            _refused(api.get(f"{app.url}/api/operations", headers=headers), 403, "foreign_host")
            started = api.post(
                f"{app.url}/api/tasks",
                json={"tool": "text_stats", "inputs": [str(sample)]},
                headers=headers,
            )
            _refused(started, 403, "foreign_host")
        # localhost names this machine too
        ok = api.get(f"{app.url}/api/health", headers={"Host": f"localhost:{app.port}"})
        assert ok.status_code == 200
    assert app.recorded() == before


def test_a_foreign_origin_cannot_change_anything(app: App, sample: Path) -> None:
    before = app.recorded()
    with app.api() as api:
        for origin in ("http://attacker.example", "null", f"http://localhost:{app.port}"):
            started = api.post(
                f"{app.url}/api/tasks",
                json={"tool": "text_stats", "inputs": [str(sample)]},
                headers={"Origin": origin},
            )
            _refused(started, 403, "foreign_origin")
            run = api.post(
                f"{app.url}/api/tools/text_stats/run",
                json={"inputs": [str(sample)]},
                headers={"Origin": origin},
            )
            _refused(run, 403, "foreign_origin")
    assert app.recorded() == before


def test_without_the_key_nothing_answers(app: App, sample: Path) -> None:
    before = app.recorded()
    stranger = httpx.Client(timeout=30)
    with stranger:
        for path in ("/", "/tasks", "/api/operations", "/api/tasks", "/api/health", "/docs"):
            _refused(stranger.get(app.url + path), 401, "unauthorized")
        started = stranger.post(
            f"{app.url}/api/tasks", json={"tool": "text_stats", "inputs": [str(sample)]}
        )
        _refused(started, 401, "unauthorized")
        for guess in (b"x" * len(app.key), "ключ".encode()):  # any bytes a caller may send
            wrong = {"Authorization": b"Bearer " + guess}
            answer = stranger.get(f"{app.url}/api/operations", headers=wrong)
            _refused(answer, 401, "unauthorized")
        forged = {"Cookie": f"{access.cookie_name(app.port or 0)}=guess"}
        _refused(stranger.get(f"{app.url}/api/operations", headers=forged), 401, "unauthorized")
        # NiceGUI's socket.io, long-polling flavour
        polling = stranger.get(f"{app.url}/_nicegui_ws/socket.io/?EIO=4&transport=polling")
        _refused(polling, 401, "unauthorized")
    assert app.recorded() == before


def _handshake_refusal(
    url: str, headers: dict[str, str] | None = None, sock: socket.socket | None = None
) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, open_timeout=30, sock=sock)
    response = refused.value.response
    return response.status_code, json.loads(response.body)["code"]


def test_websockets_need_the_key_and_the_apps_own_origin(app: App) -> None:
    ws = app.url.replace("http://", "ws://")
    bearer = {"Authorization": f"Bearer {app.key}"}
    for path in ("/api/tasks/ws", "/_nicegui_ws/socket.io/?EIO=4&transport=websocket"):
        assert _handshake_refusal(ws + path) == (401, "unauthorized")
        foreign = {**bearer, "Origin": "http://attacker.example"}
        assert _handshake_refusal(ws + path, foreign) == (403, "foreign_origin")
        # attacker.example re-pointed at 127.0.0.1: the socket goes here, the Host names it
        rebound = f"ws://attacker.example:{app.port}{path}"
        with socket.create_connection(("127.0.0.1", app.port or 0), timeout=30) as sock:
            assert _handshake_refusal(rebound, bearer, sock) == (403, "foreign_host")
        twice = {**bearer, "Host": "attacker.example"}  # added beside the real one
        assert _handshake_refusal(ws + path, twice) == (403, "foreign_host")
    # The app's own page, with the key: the task feed answers with its snapshot.
    own = {**bearer, "Origin": app.url}
    with connect(ws + "/api/tasks/ws", additional_headers=own, open_timeout=30) as feed:
        assert json.loads(feed.recv(timeout=10))["type"] == "snapshot"


def test_a_body_without_a_json_content_type_is_not_read_as_json(app: App, sample: Path) -> None:
    """What a page can send without a CORS preflight (text/plain, or no type) starts nothing."""
    before = app.recorded()
    body = json.dumps({"tool": "text_stats", "inputs": [str(sample)]}).encode()
    with app.api() as api:
        for headers in ({"Content-Type": "text/plain"}, {}):  # raw content: httpx adds no type
            started = api.post(f"{app.url}/api/tasks", content=body, headers=headers)
            _refused(started, 422, "invalid_request")
    assert app.recorded() == before


def test_the_launch_link_opens_once_and_sets_a_strict_cookie(app: App) -> None:
    first = app.child.launch_url()
    token = parse_qs(urlsplit(first).query)[access.LAUNCH_PARAM][0]
    browser = httpx.Client(timeout=30)
    with browser:
        welcome = browser.get(f"{app.url}/tasks?launch={token}&tool=text_stats")
        assert welcome.status_code == 303
        assert welcome.headers["location"] == "/tasks?tool=text_stats"
        cookie = welcome.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert browser.get(f"{app.url}/api/operations").status_code == 200  # the cookie works
        # A state-changing request with the cookie still needs the app's own origin.
        refused = browser.post(f"{app.url}/api/tasks/x/cancel", headers={"Origin": "null"})
        _refused(refused, 403, "foreign_origin")
        own = browser.post(f"{app.url}/api/tasks/x/cancel", headers={"Origin": app.url})
        _refused(own, 404, "unknown_task")  # got through to the route
    stranger = httpx.Client(timeout=30)
    with stranger:  # the same link in another browser: spent
        _refused(stranger.get(first), 403, "launch_link_used")
        _refused(stranger.get(f"{app.url}/api/operations"), 401, "unauthorized")


def test_the_start_up_line_says_where_the_central_token_is_kept(app: App) -> None:
    line = app.child.wait_line("LocaNext app: ")
    assert f"[central token: {token_store.token_file(app.data)} (readable only by you)]" in line
