"""Who is looking at the console.

Central checks the password once per session (with its rate limits and lockouts) and hands back
a staff session token, which it ends after its idle timeout. The console keeps that token in a
signed, HttpOnly, SameSite cookie and asks central whose it is at most every few seconds, so a
disabled account, a demoted lead or an idle session is out at once. Scripts send the same token
as ``Authorization: Bearer`` to the console's JSON and export routes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

COOKIE = "locanext_console"
ZONE_COOKIE = "locanext_tz"  # the browser's time zone, set by the pages' script
RECHECK_S = 5.0  # how long central's answer about a token is taken as still true


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str
    display_name: str
    token: str

    @property
    def can_write(self) -> bool:
        return self.role == "admin"


class SignInRefused(Exception):
    """Central said no (wrong password, locked out, not staff) or could not be reached."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def _refusal(response: httpx.Response) -> SignInRefused:
    try:
        body = response.json()
        return SignInRefused(response.status_code, str(body["code"]), str(body["detail"]))
    except (ValueError, KeyError, TypeError):
        return SignInRefused(response.status_code, "http_error", response.reason_phrase)


class Gate:
    def __init__(self, central_url: str, secret: str) -> None:
        self.central_url = central_url.rstrip("/")
        self._signer = URLSafeSerializer(secret, salt="locanext-console-session")
        self._seen: dict[str, tuple[Viewer, float]] = {}

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.central_url, timeout=15.0)

    def cookie_value(self, token: str) -> str:
        return self._signer.dumps(token)

    def token_of(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip() or None
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            token = self._signer.loads(raw)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    async def sign_in(self, username: str, password: str) -> str:
        """Central's staff session token for this password, or SignInRefused."""
        body = {"username": username, "password": password}
        try:
            async with self._client() as client:
                response = await client.post("/api/admin/session", json=body)
        except httpx.TransportError:
            words = "central cannot be reached; try again in a moment"
            raise SignInRefused(503, "unreachable", words) from None
        if response.status_code != 200:
            raise _refusal(response)
        return str(response.json()["token"])

    async def sign_out(self, token: str) -> None:
        self._seen.pop(token, None)
        try:
            async with self._client() as client:
                await client.delete("/api/admin/session", headers=_bearer(token))
        except httpx.TransportError:
            log.warning("central unreachable at sign-out; its session ends when idle")

    async def viewer(self, request: Request) -> Viewer | None:
        """The signed-in staff member behind the request, None without a live session."""
        token = self.token_of(request)
        if token is None:
            return None
        seen = self._seen.get(token)
        if seen is not None and time.monotonic() - seen[1] < RECHECK_S:
            return seen[0]
        try:
            async with self._client() as client:
                response = await client.get("/api/admin/me", headers=_bearer(token))
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            self._seen.pop(token, None)
            return None
        me: dict[str, Any] = response.json()
        viewer = Viewer(me["username"], me["role"], me.get("display_name") or "", token)
        now = time.monotonic()
        if len(self._seen) > 1000:  # forget answers too old to be used again
            self._seen = {t: v for t, v in self._seen.items() if now - v[1] < RECHECK_S}
        self._seen[token] = (viewer, now)
        return viewer


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class SameOrigin:
    """Refuses cross-site state changes: a request that is not GET/HEAD (forms, socket events)
    or a websocket whose ``Origin`` names another site gets 403 ``cross_site``. Browsers always
    send ``Origin`` on such requests; scripts without one are not a browser being tricked."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        unsafe = scope["type"] == "websocket" or (
            scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS")
        )
        if unsafe and not _same_origin(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = b'{"code":"cross_site","detail":"cross-site request refused"}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def _same_origin(scope: Scope) -> bool:
    headers = dict(scope.get("headers") or [])
    origin = headers.get(b"origin")
    if origin is None:
        return True
    host = headers.get(b"host", b"")
    return origin.split(b"://", 1)[-1] == host
