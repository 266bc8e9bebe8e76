"""Enrollment: an install trades a user's password for a token bound to its site id."""

from __future__ import annotations

from fastapi import APIRouter

from central import accounts
from central.api.deps import DbEngine
from central.schema_policy import check_schema
from replicator.wire import EnrollRequest, EnrollResponse

router = APIRouter(tags=["enroll"])


@router.post("/api/enroll")
def enroll(request: EnrollRequest, engine: DbEngine) -> EnrollResponse:
    check_schema(request.schema_version)
    with engine.begin() as conn:
        return accounts.enroll(conn, request)
