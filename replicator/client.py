"""HTTP client for central's sync API (httpx). Transport errors become
:class:`CentralUnavailable`, 5xx and unreadable answers :class:`CentralFailed`; 4xx become
:class:`CentralRejected` with central's own code and message."""

from __future__ import annotations

import gzip
import ssl
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from replicator.errors import CentralFailed, CentralRejected, CentralUnavailable
from replicator.wire import (
    MACHINE_HEADER,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    HeldNotice,
    PullResponse,
    PushRequest,
    PushResponse,
    SiteState,
    UnlinkResponse,
)

M = TypeVar("M", bound=BaseModel)


class CentralClient:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | bool = True,
        machine: str | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if machine:
            headers[MACHINE_HEADER] = machine
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            transport=transport,
            verify=verify,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise CentralUnavailable(
                f"cannot reach central at {self._http.base_url}: {exc}"
            ) from exc
        if response.status_code >= 400:
            try:
                body = ErrorBody.model_validate_json(response.content)
            except ValidationError:  # not central's own error body: a proxy, or not central
                raise CentralFailed(
                    f"{self._http.base_url} answered {path} with HTTP {response.status_code} "
                    f"{response.reason_phrase}, not as LocaNext central does; check the URL"
                ) from None
            if response.status_code >= 500:
                raise CentralFailed(f"central failed ({response.status_code}): {body.detail}")
            raise CentralRejected(response.status_code, body.code, body.detail)
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise CentralFailed(
                f"{self._http.base_url} sent an unreadable {path} response (is it LocaNext "
                "central, and of a version this LocaNext can talk to?)"
            ) from exc

    def enroll(self, request: EnrollRequest) -> EnrollResponse:
        return self._call(
            EnrollResponse, "POST", "/api/enroll", json=request.model_dump(mode="json")
        )

    def unlink(self) -> UnlinkResponse:
        """End this install's token at central (its user signs out)."""
        return self._call(UnlinkResponse, "POST", "/api/enroll/unlink")

    def held(self, code: str) -> HeldNotice:
        """Tell central this install stopped sending on its own (``restored_database``)."""
        return self._call(HeldNotice, "POST", "/api/sync/held", json={"code": code})

    def site_state(self) -> SiteState:
        return self._call(SiteState, "GET", "/api/sync/state")

    def push(self, request: PushRequest) -> PushResponse:
        body = gzip.compress(request.model_dump_json().encode("utf-8"), compresslevel=5)
        return self._call(
            PushResponse,
            "POST",
            "/api/sync/push",
            content=body,
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )

    def pull(self, since: int, limit: int = 5000) -> PullResponse:
        return self._call(
            PullResponse, "GET", "/api/sync/pull", params={"since": since, "limit": limit}
        )
