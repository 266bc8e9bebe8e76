"""The overview's numbers and chart series, each one SELECT on the mirror. Days are the viewer's
days (their time zone), so "today" starts at their midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text

from central.tables import NEVER

BEHIND_AFTER = timedelta(hours=24)  # an install not heard from for this long is behind
CHART_DAYS = 30


@dataclass(frozen=True)
class Cards:
    installs_all: int
    installs_24h: int
    installs_7d: int
    users_active_7d: int
    operations_today: int
    operations_7d: int
    success_rate_7d: float | None
    errors_24h: int
    installs_behind: int
    conflicts_7d: int


_CARDS = text(
    f"""
    WITH seen AS (
      SELECT i.id, greatest(i.last_seen, e.last_push, e.last_pull) AS last_seen,
             e.revoked, e.last_push
      FROM installs i LEFT JOIN enrollments e ON e.install_id = i.id
    ), ops AS (
      SELECT count(*) FILTER (WHERE started >= :today) AS today,
             count(*) AS week,
             count(*) FILTER (WHERE status = 'succeeded') AS ok,
             count(*) FILTER (WHERE status IN ('succeeded', 'failed')) AS ended,
             count(DISTINCT username) AS users
      FROM operations WHERE started >= :week
    )
    SELECT
      (SELECT count(*) FROM seen) AS installs_all,
      (SELECT count(*) FROM seen WHERE last_seen >= :day) AS installs_24h,
      (SELECT count(*) FROM seen WHERE last_seen >= :week) AS installs_7d,
      (SELECT users FROM ops) AS users_active_7d,
      (SELECT today FROM ops) AS operations_today,
      (SELECT week FROM ops) AS operations_7d,
      (SELECT ok::float / nullif(ended, 0) FROM ops) AS success_rate_7d,
      (SELECT count(*) FROM events WHERE level = 'error' AND coalesce(time, {NEVER}) >= :day)
        AS errors_24h,
      (SELECT count(*) FROM enrollments WHERE revoked IS NULL
         AND (last_push IS NULL OR last_push < :behind)) AS installs_behind,
      (SELECT count(*) FROM merge_conflicts WHERE at >= :week) AS conflicts_7d
    """
)


def midnight(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def cards(conn: Connection, now: datetime, zone: ZoneInfo) -> Cards:
    row = conn.execute(
        _CARDS,
        {
            "today": midnight(now, zone),
            "day": now - timedelta(days=1),
            "week": now - timedelta(days=7),
            "behind": now - BEHIND_AFTER,
        },
    ).one()
    return Cards(**row._mapping)


def _days(now: datetime, zone: ZoneInfo) -> list[str]:
    first = midnight(now, zone) - timedelta(days=CHART_DAYS - 1)
    return [(first + timedelta(days=n)).date().isoformat() for n in range(CHART_DAYS)]


@dataclass(frozen=True)
class Charts:
    days: list[str]
    runs_by_tool: dict[str, list[int]]  # tool -> runs per day
    outcomes: dict[str, list[int]]  # succeeded / failed -> runs per day
    active_installs: list[int]
    durations: list[tuple[str, float, float]]  # tool, p50, p95 (seconds)
    versions: list[tuple[str, int]]


def charts(conn: Connection, now: datetime, zone: ZoneInfo) -> Charts:
    days = _days(now, zone)
    index = {d: n for n, d in enumerate(days)}
    params = {"since": midnight(now, zone) - timedelta(days=CHART_DAYS - 1), "zone": zone.key}
    per_day = conn.execute(
        text(
            """
            SELECT to_char(started AT TIME ZONE :zone, 'YYYY-MM-DD') AS day,
                   coalesce(tool, '') AS tool, status, count(*) AS n
            FROM operations WHERE started >= :since GROUP BY 1, 2, 3
            """
        ),
        params,
    ).all()
    by_tool: dict[str, list[int]] = {}
    outcomes = {"succeeded": [0] * len(days), "failed": [0] * len(days)}
    for day, tool, status, n in per_day:
        if day not in index:
            continue
        by_tool.setdefault(tool or "(none)", [0] * len(days))[index[day]] += n
        if status in outcomes:
            outcomes[status][index[day]] += n
    active = [0] * len(days)
    for day, n in conn.execute(
        text(
            """
            SELECT to_char(started AT TIME ZONE :zone, 'YYYY-MM-DD'), count(DISTINCT install_id)
            FROM operations WHERE started >= :since GROUP BY 1
            """
        ),
        params,
    ):
        if day in index:
            active[index[day]] = n
    durations = [
        (tool, float(p50 or 0), float(p95 or 0))
        for tool, p50, p95 in conn.execute(
            text(
                """
                SELECT coalesce(tool, '(none)'),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration),
                       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration)
                FROM operations WHERE started >= :since AND duration IS NOT NULL
                GROUP BY 1 ORDER BY 1
                """
            ),
            params,
        )
    ]
    versions = [
        (version, n)
        for version, n in conn.execute(
            text(
                "SELECT coalesce(app_version, 'unknown'), count(*) FROM installs"
                " GROUP BY 1 ORDER BY 2 DESC, 1"
            )
        )
    ]
    return Charts(days, by_tool, outcomes, active, durations, versions)


def as_dict(cards_: Cards) -> dict[str, Any]:
    return dict(cards_.__dict__)
