"""Administrator routes: users and installs. Writes to shared tables go through the merge path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from central import accounts
from central.api.deps import CurrentAdmin, DbEngine
from central.tables import merge_conflicts

router = APIRouter(prefix="/api/admin", tags=["admin"])


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=1024)
    display_name: str = ""
    team: str = ""
    language: str = ""
    role: str = Field(default="translator", pattern="^(translator|lead|admin)$")


@router.post("/users", status_code=201)
def create_user(user: NewUser, engine: DbEngine, admin: CurrentAdmin) -> dict[str, str]:
    with engine.begin() as conn:
        accounts.create_user(
            conn,
            user.username,
            user.password,
            display_name=user.display_name,
            team=user.team,
            language=user.language,
            role=user.role,
        )
    return {"username": user.username}


@router.post("/installs/{install_id}/revoke")
def revoke(install_id: str, engine: DbEngine, admin: CurrentAdmin) -> dict[str, str]:
    with engine.begin() as conn:
        accounts.revoke(conn, install_id)
    return {"install_id": install_id, "status": "revoked"}


@router.get("/conflicts")
def conflicts(
    engine: DbEngine,
    admin: CurrentAdmin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    table: str | None = None,
) -> list[dict[str, Any]]:
    """The merge decisions between two sites' values, newest first."""
    shown = [c for c in merge_conflicts.columns if c.name != "pk"]  # row_key is the readable key
    query = select(*shown).order_by(merge_conflicts.c.id.desc()).limit(limit)
    if table:
        query = query.where(merge_conflicts.c.tbl == table)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    # site ids as hex, like install ids everywhere else
    return [
        {key: bytes(v).hex() if isinstance(v, bytes | memoryview) else v for key, v in row.items()}
        for row in rows
    ]
