"""Routes of the sync protocol: state, push, pull, and an install saying it holds its changes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from central import enrollments, ingest
from central.api.body import read_limited
from central.api.deps import CurrentInstall, DbEngine, Now, PullingInstall, ReadEngine
from central.api.models import SYNC_RESPONSES
from central.errors import BadChangeset
from central.group_commit import GroupCommit
from central.pull import changes_since
from replicator.wire import HeldNotice, PullResponse, PushRequest, PushResponse, SiteState

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/sync", tags=["sync"], responses=SYNC_RESPONSES)


def describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


@router.get("/state")
def state(request: Request, engine: DbEngine, install: CurrentInstall) -> SiteState:
    with engine.connect() as conn:
        held = ingest.site_state(conn, install)
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


@router.post("/push")
async def push(request: Request, install: CurrentInstall) -> PushResponse:
    body = await read_limited(request, request.app.state.settings.max_body_bytes)
    try:
        changeset = PushRequest.model_validate_json(body)
    except ValidationError as exc:
        raise BadChangeset(f"malformed changeset: {describe(exc)}") from None
    checked = await run_in_threadpool(ingest.check, install, changeset)
    # Merged with the pushes that arrive meanwhile, in one transaction; answered after it commits.
    groups: GroupCommit = request.app.state.group_commit
    return await groups.submit(checked)


@router.get("/pull")
def pull(
    engine: ReadEngine,
    install: PullingInstall,
    since: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # a PostgreSQL bigint
    limit: Annotated[int, Query(ge=1, le=20_000)] = 5000,
) -> PullResponse:
    # One snapshot for the changes and the cursor, so the cursor never passes an unseen version.
    # On a replica too: it replays commits in their order and versions commit in order, so a
    # snapshot there holds every version up to some point whole, and the cursor stops there.
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot as conn, conn.begin():
        return changes_since(conn, install, since, limit)
