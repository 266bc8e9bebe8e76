"""What the Users, Installs, Conflicts, Announcements and Releases pages read: SELECTs on the
mirror and on the sync bookkeeping the read-only role may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from central.tables import NEVER
from replicator.wire.pk import pack
from web_admin.overview import BEHIND_AFTER

STALE_AFTER = timedelta(days=7)  # no contact for this long: the install is probably gone
STATES = ("healthy", "behind", "refusing", "revoked", "stale", "not enrolled")


def users(conn: Connection) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            text(
                f"""
                SELECT u.username, u.display_name, u.team, u.language, u.role, u.active,
                       (SELECT o.started FROM operations o WHERE o.username = u.username
                        ORDER BY coalesce(o.started, {NEVER}) DESC, o.id DESC LIMIT 1)
                         AS last_activity,
                       (SELECT count(*) FROM enrollments e WHERE e.username = u.username
                          AND e.revoked IS NULL) AS installs
                FROM users u ORDER BY u.username
                """
            )
        ).mappings()
    ]


def user(conn: Connection, username: str) -> dict[str, Any] | None:
    row = (
        conn.execute(text("SELECT * FROM users WHERE username = :u"), {"u": username})
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def user_summary(conn: Connection, username: str, since: datetime) -> dict[str, Any]:
    """Runs and failures since ``since``, runs per day, recent runs and errors."""
    totals = conn.execute(
        text(
            """
            SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed
            FROM operations WHERE username = :u AND started >= :since
            """
        ),
        {"u": username, "since": since},
    ).one()
    per_day = conn.execute(
        text(
            """
            SELECT to_char(started, 'YYYY-MM-DD') AS day, count(*) AS n FROM operations
            WHERE username = :u AND started >= :since GROUP BY 1 ORDER BY 1
            """
        ),
        {"u": username, "since": since},
    ).all()
    recent = conn.execute(
        text(
            f"""
            SELECT id, started, tool, function, status, duration, error, install_id
            FROM operations WHERE username = :u
            ORDER BY coalesce(started, {NEVER}) DESC, id DESC LIMIT 20
            """
        ),
        {"u": username},
    ).mappings()
    return {
        "runs": totals.runs,
        "failed": totals.failed,
        "per_day": [(d, n) for d, n in per_day],
        "recent": [dict(r) for r in recent],
    }


_INSTALLS = """
    SELECT coalesce(e.install_id, i.id) AS id, i.name, e.username, i.os, i.app_version,
           e.enrolled, e.last_push, e.last_pull, e.acked_db_version AS watermark,
           e.revoked, e.last_refusal_code, e.last_refusal_at,
           greatest(i.last_seen, e.last_push, e.last_pull) AS last_seen,
           (SELECT count(*) FROM parked_changes p
              WHERE p.site_id = decode(coalesce(e.install_id, i.id), 'hex')) AS parked
    FROM enrollments e FULL JOIN installs i ON i.id = e.install_id
"""


def state(row: dict[str, Any], now: datetime) -> tuple[str, str]:
    """The install's sync state and the reason for it, in words."""
    if row["enrolled"] is None:
        return "not enrolled", "seen in the mirror but not enrolled with this central"
    if row["revoked"] is not None:
        return "revoked", "an administrator revoked it (or deleted its user): every sync refused"
    refused = row["last_refusal_at"]
    if refused is not None and (row["last_push"] is None or refused > row["last_push"]):
        return "refusing", f"its last request was refused: {row['last_refusal_code']}"
    contact = max((t for t in (row["last_push"], row["last_pull"]) if t is not None), default=None)
    if contact is None or now - contact > STALE_AFTER:
        return "stale", "no sync for more than 7 days"
    if row["parked"]:
        return "behind", f"{row['parked']} changes wait for the rest of their transaction"
    if row["last_push"] is None or now - row["last_push"] > BEHIND_AFTER:
        return "behind", "no push for more than 24 hours"
    return "healthy", "synced recently, nothing waiting"


def installs(conn: Connection, now: datetime) -> list[dict[str, Any]]:
    rows = [dict(r) for r in conn.execute(text(_INSTALLS + " ORDER BY 2, 1")).mappings()]
    for row in rows:
        row["state"], row["reason"] = state(row, now)
    return rows


def install(conn: Connection, install_id: str, now: datetime) -> dict[str, Any] | None:
    found = (
        conn.execute(text(f"SELECT * FROM ({_INSTALLS}) AS x WHERE id = :id"), {"id": install_id})
        .mappings()
        .first()
    )
    if found is None:
        return None
    row = dict(found)
    row["state"], row["reason"] = state(row, now)
    return row


def timeline(conn: Connection, install_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The install's latest tool runs and events, newest first."""
    return [
        dict(r)
        for r in conn.execute(
            text(
                f"""
                (SELECT started AS at, 'run' AS kind, coalesce(tool, '') || ' ' ||
                        coalesce(function, '') || ' · ' || coalesce(status, '') AS what,
                        coalesce(error, '') AS detail
                 FROM operations WHERE install_id = :id
                 ORDER BY coalesce(started, {NEVER}) DESC, id DESC LIMIT :n)
                UNION ALL
                (SELECT time, 'event', coalesce(level, '') || ' · ' || coalesce(component, ''),
                        coalesce(message, '')
                 FROM events WHERE install_id = :id
                 ORDER BY coalesce(time, {NEVER}) DESC, id DESC LIMIT :n)
                ORDER BY 1 DESC NULLS LAST LIMIT :n
                """
            ),
            {"id": install_id, "n": limit},
        ).mappings()
    ]


@dataclass(frozen=True)
class ConflictFilter:
    table: str = ""
    key: str = ""
    install: str = ""
    rule: str = ""


def conflicts(conn: Connection, f: ConflictFilter, before: int | None, limit: int = 100) -> list:
    where, params = ["true"], {"n": limit}
    if f.table:
        where.append("tbl = :tbl")
        params["tbl"] = f.table
    if f.key:
        where.append("row_key = :key")
        params["key"] = f.key
    if f.install:
        where.append(
            "(encode(incoming_site_id, 'hex') = :site OR encode(existing_site_id, 'hex') = :site)"
        )
        params["site"] = f.install.lower()
    if f.rule:
        where.append("rule = :rule")
        params["rule"] = f.rule
    if before is not None:
        where.append("m.id < :before")
        params["before"] = before
    return [
        dict(r)
        for r in conn.execute(
            text(
                f"""
                SELECT m.id, m.at, m.tbl, m.row_key, m.cid, m.rule, m.incoming_won,
                       m.incoming_value, encode(m.incoming_site_id, 'hex') AS incoming_site,
                       m.incoming_col_version, m.incoming_cl,
                       m.existing_value, encode(m.existing_site_id, 'hex') AS existing_site,
                       m.existing_col_version, m.existing_cl,
                       ii.name AS incoming_install, ei.name AS existing_install
                FROM merge_conflicts m
                LEFT JOIN installs ii ON ii.id = encode(m.incoming_site_id, 'hex')
                LEFT JOIN installs ei ON ei.id = encode(m.existing_site_id, 'hex')
                WHERE {" AND ".join(where)} ORDER BY m.id DESC LIMIT :n
                """
            ),
            params,
        ).mappings()
    ]


def _pulled_by(conn: Connection, table: str, key: str) -> int:
    """Installs whose pulls have gone past the row's latest change."""
    return conn.execute(
        text(
            """
            SELECT count(*) FROM enrollments WHERE revoked IS NULL AND pull_cursor >= (
              SELECT max(db_version) FROM crr_clock WHERE tbl = :tbl AND pk = :pk)
            """
        ),
        {"tbl": table, "pk": pack([key])},
    ).scalar_one()


def announcements(conn: Connection) -> list[dict[str, Any]]:
    rows = [
        dict(r)
        for r in conn.execute(
            text("SELECT * FROM announcements ORDER BY created DESC NULLS LAST, id")
        ).mappings()
    ]
    for row in rows:
        row["pulled_by"] = _pulled_by(conn, "announcements", row["id"])
    return rows


def releases(conn: Connection) -> list[dict[str, Any]]:
    rows = [
        dict(r)
        for r in conn.execute(
            text(
                """
                SELECT r.*, (SELECT count(*) FROM installs i WHERE i.app_version = r.version)
                  AS running
                FROM app_releases r ORDER BY released DESC NULLS LAST, version
                """
            )
        ).mappings()
    ]
    for row in rows:
        row["pulled_by"] = _pulled_by(conn, "app_releases", row["version"])
    return rows


def versions_in_use(conn: Connection) -> list[tuple[str, int]]:
    return [
        (v, n)
        for v, n in conn.execute(
            text(
                "SELECT coalesce(app_version, 'unknown'), count(*) FROM installs"
                " GROUP BY 1 ORDER BY 2 DESC, 1"
            )
        )
    ]
