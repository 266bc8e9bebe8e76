"""Enrollment: an install trades a user's password for a token bound to its site id."""

from __future__ import annotations

from fastapi import APIRouter, Request

from central import enrollments
from central.api.deps import DbEngine, Now, client_address
from central.api.models import SYNC_RESPONSES
from central.schema_policy import check_schema
from replicator.wire import EnrollRequest, EnrollResponse

router = APIRouter(tags=["enroll"], responses=SYNC_RESPONSES)


@router.post("/api/enroll")
def enroll(body: EnrollRequest, request: Request, engine: DbEngine, now: Now) -> EnrollResponse:
    check_schema(body.schema_version)
    throttle = request.app.state.throttle
    with throttle.checking(client_address(request), body.username), engine.begin() as conn:
        return enrollments.enroll(conn, body, now)
