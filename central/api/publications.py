"""Administration of announcements and releases (shared tables, through the merge path)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from central import notices, publications
from central.api.deps import CurrentAdmin, CurrentStaff, DbEngine, Now
from central.api.models import (
    ERROR_RESPONSES,
    NO_NUL,
    Announcement,
    AnnouncementChanges,
    AnnouncementIn,
    Release,
    ReleaseChanges,
    ReleaseIn,
    Strict,
    Version,
)

router = APIRouter(prefix="/api/admin", tags=["admin"], responses=ERROR_RESPONSES)
AnnouncementId = Annotated[str, Path(max_length=64, pattern=NO_NUL)]


def _changes(body: Strict, nullable: tuple[str, ...] = ()) -> dict[str, object]:
    """The fields the caller sent; ``null`` counts only where the column may be empty."""
    sent = body.model_dump(include=body.model_fields_set)
    return {k: v for k, v in sent.items() if v is not None or k in nullable}


@router.get("/announcements")
def list_announcements(engine: DbEngine, user: CurrentStaff) -> list[Announcement]:
    with engine.connect() as conn:
        return [Announcement(**a) for a in publications.list_announcements(conn)]


@router.post("/announcements", status_code=201)
def create_announcement(
    body: AnnouncementIn, engine: DbEngine, admin: CurrentAdmin, now: Now
) -> Announcement:
    with engine.begin() as conn:
        created = publications.create_announcement(conn, body.model_dump(), now)
        notices.notify_merged(conn)
    return Announcement(**created)


@router.patch("/announcements/{key}")
def edit_announcement(
    key: AnnouncementId,
    body: AnnouncementChanges,
    engine: DbEngine,
    admin: CurrentAdmin,
) -> Announcement:
    with engine.begin() as conn:
        edited = publications.edit_announcement(conn, key, _changes(body, ("expires",)))
        notices.notify_merged(conn)
    return Announcement(**edited)


@router.delete("/announcements/{key}", status_code=204)
def withdraw_announcement(key: AnnouncementId, engine: DbEngine, admin: CurrentAdmin) -> Response:
    with engine.begin() as conn:
        publications.withdraw_announcement(conn, key)
        notices.notify_merged(conn)
    return Response(status_code=204)


@router.get("/releases")
def list_releases(engine: DbEngine, user: CurrentStaff) -> list[Release]:
    with engine.connect() as conn:
        return [Release(**r) for r in publications.list_releases(conn)]


@router.post("/releases", status_code=201)
def publish_release(body: ReleaseIn, engine: DbEngine, admin: CurrentAdmin, now: Now) -> Release:
    fields = body.model_dump(exclude={"version"})
    with engine.begin() as conn:
        published = publications.publish_release(conn, body.version, fields, now)
        notices.notify_merged(conn)
    return Release(**published)


@router.patch("/releases/{version}")
def edit_release(
    version: Version, body: ReleaseChanges, engine: DbEngine, admin: CurrentAdmin
) -> Release:
    with engine.begin() as conn:
        edited = publications.edit_release(conn, version, _changes(body))
        notices.notify_merged(conn)
    return Release(**edited)


@router.delete("/releases/{version}", status_code=204)
def withdraw_release(version: Version, engine: DbEngine, admin: CurrentAdmin) -> Response:
    with engine.begin() as conn:
        publications.withdraw_release(conn, version)
        notices.notify_merged(conn)
    return Response(status_code=204)
