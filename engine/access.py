"""Who may call the engine's local server: the app's own pages and the user's own scripts, no
other web page.

Any page the translator opens in a browser can send requests to 127.0.0.1, and a DNS name can be
re-pointed there (DNS rebinding). So every request and WebSocket handshake, pages and API alike,
must:

- name this machine in its Host header (``127.0.0.1`` or ``localhost``);
- when it can change something (any method but GET, HEAD, OPTIONS) or opens a WebSocket, come
  from the app's own origin if it names one (browsers always do for these);
- carry this launch's key: the HttpOnly, SameSite=Strict cookie that a one-time launch link sets
  (the window's first URL, the URL printed by a headless app), or ``Authorization: Bearer <key>``
  with the key from ``<data dir>/api-key`` (mode 0600, rewritten at every launch).

:class:`LocalOnly` is an ASGI middleware around the whole app, so routes and pages added later
are covered without code of their own. Refusals are ``{"code", "detail"}`` like the app's errors.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.private_files import write_private

log = logging.getLogger(__name__)

LAUNCH_PARAM = "launch"
KEY_FILE = "api-key"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LaunchKeys:
    """This launch's key, and the one-time launch tokens that hand it to a browser as a cookie."""

    def __init__(self) -> None:
        self.key = secrets.token_urlsafe(32)
        self._pending: list[str] = []
        self._lock = threading.Lock()

    def issue(self) -> str:
        """A new launch token; the first request that presents it gets the key as a cookie."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._pending.append(token)
        return token

    def redeem(self, token: str) -> bool:
        """True once for each issued token; it is spent by then."""
        with self._lock:
            for pending in self._pending:
                if _same(pending, token):
                    self._pending.remove(pending)
                    return True
        return False

    def accepts(self, key: str | None) -> bool:
        return key is not None and _same(key, self.key)


def _same(a: str, b: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, which a caller may send.
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8"))


def cookie_name(port: int) -> str:
    """Cookies are not kept per port: two apps on one machine each need a name of their own."""
    return f"locanext_{port}"


def launch_url(base_url: str, token: str, path: str = "/") -> str:
    return f"{base_url}{path}?{urlencode({LAUNCH_PARAM: token})}"


def write_key(data_dir: Path, key: str) -> Path:
    """Write the key for scripts to ``<data_dir>/api-key``, readable only by this user."""
    path = data_dir / KEY_FILE
    write_private(path, key)
    return path


def read_key(data_dir: Path) -> str:
    """The key of the app running on ``data_dir`` (for scripts and tests)."""
    return (data_dir / KEY_FILE).read_text(encoding="ascii").strip()


def remove_key(data_dir: Path, key: str) -> None:
    """Remove the key file if it is still this launch's (another launch may have replaced it)."""
    with contextlib.suppress(OSError):
        if read_key(data_dir) == key:
            (data_dir / KEY_FILE).unlink()


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    detail: str

    def response(self) -> Response:
        return JSONResponse({"code": self.code, "detail": self.detail}, status_code=self.status)


class LocalOnly:
    """ASGI middleware: the checks above on every HTTP request and WebSocket handshake."""

    def __init__(self, app: ASGIApp, keys: LaunchKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        method = "WEBSOCKET" if scope["type"] == "websocket" else scope["method"]
        answer = self._check(conn, method)
        if answer is None:
            await self.app(scope, receive, send)
            return
        if isinstance(answer, Refusal):
            log.warning("%s %s refused (%d %s)", method, conn.url.path, answer.status, answer.code)
            if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
                "extensions", {}
            ):
                # Without the denial-response extension the server answers 403, no body.
                await send({"type": "websocket.close", "code": 1008})
                return
            answer = answer.response()
        # Starlette's responses send websocket.http.response.* messages for a WebSocket scope.
        await answer(scope, receive, send)

    def _check(self, conn: HTTPConnection, method: str) -> Refusal | Response | None:
        """None to let the request through; else a refusal, or the launch link's redirect."""
        hosts = conn.headers.getlist("host")
        host = hosts[0] if len(hosts) == 1 else ""
        if _hostname(host) not in LOCAL_HOSTS:
            local = " and ".join(sorted(LOCAL_HOSTS))
            return Refusal(403, "foreign_host", f"this server answers only for {local}")
        origin = conn.headers.get("origin")
        foreign = origin is not None and origin.lower() != f"http://{host}".lower()
        if method not in SAFE_METHODS and foreign:
            return Refusal(403, "foreign_origin", "only the app's own pages may do this")
        port = conn.scope["server"][1] if conn.scope.get("server") else 0
        cookie = conn.cookies.get(cookie_name(port))
        token = conn.query_params.get(LAUNCH_PARAM)
        if token is not None and method == "GET":
            if self.keys.redeem(token) or self.keys.accepts(cookie):
                return self._welcome(conn, port)
            return Refusal(
                403,
                "launch_link_used",
                "this link has been used already; restart `locanext app` for a new one",
            )
        if self.keys.accepts(cookie) or self.keys.accepts(_bearer(conn)):
            return None
        return Refusal(
            401,
            "unauthorized",
            "open the link `locanext app` printed, or send Authorization: Bearer <the key in "
            "the data dir's api-key file>",
        )

    def _welcome(self, conn: HTTPConnection, port: int) -> Response:
        """Set the key as a cookie and go to the same page without the launch token."""
        query = [(k, v) for k, v in conn.query_params.multi_items() if k != LAUNCH_PARAM]
        target = conn.url.path + (f"?{urlencode(query)}" if query else "")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            cookie_name(port), self.keys.key, httponly=True, samesite="strict", path="/"
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def _bearer(conn: HTTPConnection) -> str | None:
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _hostname(host: str) -> str | None:
    try:
        return urlsplit(f"//{host}").hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
