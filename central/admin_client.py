"""The Python client of central's administration API (httpx): signs in once, sends the
session token with every call, signs out at the end. Used by the admin commands, the demo and
the tests."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import httpx


class AdminApiError(Exception):
    """Central refused (4xx/5xx, with its code) or could not be reached (status 0)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail

    def __str__(self) -> str:
        return self.detail if self.status == 0 else f"{self.detail} ({self.status} {self.code})"


class AdminClient:
    def __init__(
        self,
        central_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = central_url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)
        self.session: dict[str, Any] | None = None

    @classmethod
    def signed_in(cls, central_url: str, username: str, password: str) -> AdminClient:
        client = cls(central_url)
        try:
            client.sign_in(username, password)
        except BaseException:
            client.close()
            raise
        return client

    @classmethod
    def with_token(cls, central_url: str, token: str) -> AdminClient:
        """A client on a staff session opened elsewhere (the admin console's signed-in viewer);
        closing it leaves the session open."""
        client = cls(central_url)
        client._http.headers["Authorization"] = f"Bearer {token}"
        return client

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.sign_out()
        finally:
            self.close()

    def close(self) -> None:
        self._http.close()

    def sign_out(self) -> None:
        if self.session is None:
            return
        with suppress(AdminApiError):  # an expired session has ended anyway
            self.request("DELETE", "/api/admin/session")
        self.session = None

    def sign_in(self, username: str, password: str) -> dict[str, Any]:
        self.session = self.request(
            "POST", "/api/admin/session", json={"username": username, "password": password}
        )
        self._http.headers["Authorization"] = f"Bearer {self.session['token']}"
        return self.session

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise AdminApiError(
                0, "unreachable", f"cannot reach central at {self.url}: {exc}"
            ) from None
        try:
            body = response.json() if response.content else None
            if response.status_code >= 400:
                raise AdminApiError(response.status_code, str(body["code"]), str(body["detail"]))
        except (ValueError, KeyError, TypeError):  # not central's JSON: not central, or a proxy
            raise AdminApiError(
                response.status_code,
                "not_central",
                f"{self.url} answered {path} with HTTP {response.status_code} "
                f"{response.reason_phrase}, not as LocaNext central does; check the URL",
            ) from None
        return body

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


def session_headers(central_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in and return the header that carries the session (which stays open until its idle
    timeout), for callers of the raw API."""
    client = AdminClient(central_url)
    try:
        token = client.sign_in(username, password)["token"]
    finally:
        client.close()
    return {"Authorization": f"Bearer {token}"}
