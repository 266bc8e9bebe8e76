"""The console's JSON and export routes: the same views as the pages, for scripts (with central's
staff token as ``Authorization: Bearer``) and for the pages' export links (with the cookie)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy import Engine

from web_admin import exports, listing
from web_admin.auth import Gate, Viewer

LISTINGS = {"operations": listing.OPERATIONS, "events": listing.EVENTS}


class ConsoleRefusal(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


def refusal_response(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConsoleRefusal)
    return JSONResponse({"code": exc.code, "detail": exc.detail}, status_code=exc.status)


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _query(name: str, request: Request) -> listing.Query:
    if name not in LISTINGS:
        raise ConsoleRefusal(404, "not_found", f"no list {name!r}; one of {', '.join(LISTINGS)}")
    try:
        return listing.parse(LISTINGS[name], request.query_params)
    except listing.BadFilter as exc:
        raise ConsoleRefusal(422, "bad_filter", str(exc)) from None


def router(gate: Gate, engine: Engine) -> APIRouter:
    async def signed_in(request: Request) -> Viewer:
        viewer = await gate.viewer(request)
        if viewer is None:
            raise ConsoleRefusal(401, "unauthorized", "sign in first (the console's /signin)")
        return viewer

    routes = APIRouter(dependencies=[Depends(signed_in)])

    @routes.get("/api/{name}")
    def api_list(name: str, request: Request) -> dict[str, Any]:
        """One page of a list with the URL's filters; ``next`` is the following page's cursor."""
        query = _query(name, request)
        with engine.connect() as conn:
            found = listing.page(conn, query)
        return {"rows": [_json(r) for r in found.rows], "next": found.next_after}

    @routes.get("/export/{name}.{fmt}")
    def export(
        name: str,
        fmt: Literal["csv", "ndjson"],
        request: Request,
        bom: Annotated[bool, Query()] = False,
    ) -> StreamingResponse:
        """Every row of the filtered view, streamed."""
        query = _query(name, request)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        filename = f"locanext-{name}-{stamp}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if fmt == "csv":
            chunks = exports.csv_chunks(engine, query, bom)
            media = "text/csv; charset=utf-8"
        else:
            chunks = exports.ndjson_chunks(engine, query)
            media = "application/x-ndjson"
        return StreamingResponse(chunks, media_type=media, headers=headers)

    return routes
