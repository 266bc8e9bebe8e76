"""Enrollment: an install trades a user's password for a token bound to its site id, and gives
the token back when its user signs out."""

from __future__ import annotations

from fastapi import APIRouter, Request

from central import enrollments
from central.api.deps import Bearer, DbEngine, Now, client_address
from central.api.models import SYNC_RESPONSES
from central.errors import Unauthorized
from central.schema_policy import check_schema
from replicator.wire import EnrollRequest, EnrollResponse, UnlinkResponse

router = APIRouter(tags=["enroll"], responses=SYNC_RESPONSES)


@router.post("/api/enroll")
def enroll(body: EnrollRequest, request: Request, engine: DbEngine, now: Now) -> EnrollResponse:
    check_schema(body.schema_version)
    throttle = request.app.state.throttle
    with throttle.checking(client_address(request), body.username), engine.begin() as conn:
        return enrollments.enroll(conn, body, now)


@router.post("/api/enroll/unlink")
def unlink(engine: DbEngine, auth: Bearer, now: Now) -> UnlinkResponse:
    """Its user signed out: the install's token ends, and any user may enroll it next.

    Only the token is needed (an expired one too, or one of a revoked install or a disabled
    user: giving a link up is always allowed)."""
    if auth is None:
        raise Unauthorized("missing install token (Authorization: Bearer ...)")
    with engine.begin() as conn:
        return enrollments.unlink(conn, auth.credentials, now)
