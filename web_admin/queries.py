"""What the dashboard reads from the mirror. SELECT only; the connection is read-only too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from central.tables import installs, operations


def recent_operations(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Operations across installs, newest first, with the install's name and the user."""
    stmt = (
        select(
            operations.c.id,
            operations.c.started,
            operations.c.tool,
            operations.c.function,
            operations.c.status,
            operations.c.duration,
            operations.c.rows_in,
            operations.c.rows_out,
            operations.c.username,
            operations.c.install_id,
            func.coalesce(installs.c.name, operations.c.install_id).label("install"),
            operations.c.error,
        )
        .select_from(operations.outerjoin(installs, installs.c.id == operations.c.install_id))
        .order_by(operations.c.started.desc().nulls_last(), operations.c.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(stmt)]
