"""Routes of the sync protocol: state, push, pull, and an install saying it holds its changes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from central import enrollments, ingest
from central.api.body import read_limited
from central.api.deps import (
    Bearer,
    CurrentInstall,
    DbEngine,
    Now,
    admission,
    autocommit,
    install_token,
    write_admission,
)
from central.api.models import SYNC_RESPONSES
from central.errors import BadChangeset
from central.group_commit import GroupCommit
from central.pull import pull_page
from replicator.wire import HeldNotice, PullResponse, PushRequest, PushResponse, SiteState

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/sync", tags=["sync"], responses=SYNC_RESPONSES)


def describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


@router.get("/state")
def state(request: Request, engine: DbEngine, auth: Bearer, now: Now) -> SiteState:
    # The first request of every sync round: admission and the state on one connection, in one
    # threadpool hop.
    token = install_token(auth)
    with autocommit(engine) as conn:
        install, writes = admission(request, conn, token, now)
        held = ingest.site_state(conn, install)
    write_admission(engine, install, writes)
    # The replicator cuts its pushes to stay under this.
    limit = request.app.state.settings.max_body_bytes
    return held.model_copy(update={"max_body_bytes": limit})


@router.post("/held")
def held(notice: HeldNotice, engine: DbEngine, install: CurrentInstall, now: Now) -> HeldNotice:
    """The install stopped pushing (see HeldNotice): shown with its sync health."""
    with engine.begin() as conn:
        enrollments.record_refusal(conn, install.install_id, notice.code, now)
    log.warning("install %s holds its changes: %s", install.install_id, notice.code)
    return notice


# A push this small is checked on the event loop: its checks cost less than the hop to a worker
# thread, which under load waits for a free thread and the GIL (a p99 of 140 ms measured at
# 1,000 installs). Larger ones (a catch-up's) would hold up every other request meanwhile.
INLINE_CHECK_CHANGES = 256


@router.post("/push")
async def push(request: Request, install: CurrentInstall) -> PushResponse:
    body = await read_limited(request, request.app.state.settings.max_body_bytes)
    try:
        changeset = PushRequest.model_validate_json(body)
    except ValidationError as exc:
        raise BadChangeset(f"malformed changeset: {describe(exc)}") from None
    if len(changeset.changes) <= INLINE_CHECK_CHANGES:
        checked = ingest.check(install, changeset)
    else:
        checked = await run_in_threadpool(ingest.check, install, changeset)
    # Merged with the pushes that arrive meanwhile, in one transaction; answered after it commits.
    groups: GroupCommit = request.app.state.group_commit
    return await groups.submit(checked)


@router.get("/pull", response_model=PullResponse)
def pull(
    request: Request,
    auth: Bearer,
    since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # a PostgreSQL bigint
    limit: Annotated[int, Query(ge=1, le=20_000)] = 5000,
) -> Response:
    token = install_token(auth)
    app = request.app.state
    now = app.clock()
    # One snapshot for the changes and the cursor, so the cursor never passes an unseen version.
    # On a replica too: it replays commits in their order and versions commit in order, so a
    # snapshot there holds every version up to some point whole, and the cursor stops there.
    if app.read_engine is app.engine:  # admission and changes in one transaction
        with _snapshot(app.engine) as conn, conn.begin():
            install, writes = admission(request, conn, token, now)
            page = pull_page(conn, install, since, limit)
    else:  # admission on the primary: a replica may not have replayed a revocation yet
        with autocommit(app.engine) as conn:
            install, writes = admission(request, conn, token, now)
        with _snapshot(app.read_engine) as conn, conn.begin():
            page = pull_page(conn, install, since, limit)
    write_admission(app.engine, install, writes)
    app.pull_log.record(install.install_id, since, now)
    # Encoded here rather than by FastAPI: each change's JSON is made once for all installs.
    return Response(page.json(), media_type="application/json")


def _snapshot(engine: Engine) -> Connection:
    return engine.connect().execution_options(isolation_level="REPEATABLE READ")
