"""Refusing, before anything runs, a request whose declared body is over its route's limit.

FastAPI's own ``max_body_size`` counts every body as it is read (streamed ones too) and its
refusal goes through central's error handler; but a request that declares too large a
``Content-Length`` gets Starlette's plain-text answer. This middleware answers that case first,
with central's ``{"code", "detail"}`` body like every other refusal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class DeclaredBodyLimit:
    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = Headers(scope=scope).get("content-length", "")
            limit = self.limit_for(scope["path"])
            if declared.isdigit() and int(declared) > limit:
                log.warning(
                    "%s %s refused: body of %s bytes", scope["method"], scope["path"], declared
                )
                detail = f"body of {declared} bytes exceeds the limit of {limit} bytes"
                response = JSONResponse({"code": "payload_too_large", "detail": detail}, 413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
