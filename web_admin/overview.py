"""The overview's numbers and chart series, each one SELECT on the mirror. Days are the viewer's
days (their time zone), so "today" starts at their midnight."""

from __future__ import annotations

import math
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
      SELECT i.id, greatest(i.last_seen, e.last_push, e.last_pull) AS last_seen
      FROM installs i LEFT JOIN enrollments e ON e.install_id = i.id
    ), ops AS (
      SELECT sum(runs) FILTER (WHERE hour >= :today)::bigint AS today,
             sum(runs)::bigint AS week,
             sum(runs) FILTER (WHERE status = 'succeeded')::bigint AS ok,
             sum(runs) FILTER (WHERE status IN ('succeeded', 'failed'))::bigint AS ended
      FROM operation_hours WHERE hour >= date_trunc('hour', CAST(:week AS timestamptz), 'UTC')
    )
    SELECT
      (SELECT count(*) FROM seen) AS installs_all,
      (SELECT count(*) FROM seen WHERE last_seen >= :day) AS installs_24h,
      (SELECT count(*) FROM seen WHERE last_seen >= :week) AS installs_7d,
      (SELECT count(DISTINCT username) FROM user_days
         WHERE day >= CAST(:week AS date)) AS users_active_7d,
      (SELECT coalesce(today, 0) FROM ops) AS operations_today,
      (SELECT coalesce(week, 0) FROM ops) AS operations_7d,
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
    durations: list[tuple[str, float, float]]  # tool, p50, p95 (seconds, approximate)
    versions: list[tuple[str, int]]


def _shifted_masks(now: datetime, zone: ZoneInfo) -> dict[str, int]:
    """For each UTC hour of a day, the viewer's day it falls in (the day before, the same, the
    day after): a bit mask of the hours for each, at the zone's offset now."""
    offset = (now.astimezone(zone).utcoffset() or timedelta()).total_seconds() / 3600
    masks = {"before": 0, "same": 0, "after": 0}
    for hour in range(24):
        shift = math.floor((hour + offset) / 24)
        masks[("before", "same", "after")[shift + 1]] |= 1 << hour
    return masks


# Installs active on each of the viewer's days, from the hours each ran something in each UTC day.
_ACTIVE_INSTALLS = text(
    """
    SELECT local_day, count(DISTINCT install_id) FROM (
      SELECT day - 1 AS local_day, install_id FROM install_days
        WHERE hours & :before <> 0 AND day >= CAST(:since AS date) - 1
      UNION ALL
      SELECT day, install_id FROM install_days
        WHERE hours & :same <> 0 AND day >= CAST(:since AS date) - 1
      UNION ALL
      SELECT day + 1, install_id FROM install_days
        WHERE hours & :after <> 0 AND day >= CAST(:since AS date) - 1
    ) AS active GROUP BY 1
    """
)


def _bucket_seconds(bucket: int) -> float:
    """The middle of a duration bucket (migration 0011: floor(4 * log2(ms + 1)))."""
    return (2 ** ((bucket + 0.5) / 4) - 1) / 1000


def _percentiles(buckets: list[tuple[int, int]]) -> tuple[float, float]:
    """Approximate p50 and p95 from (bucket, runs) in bucket order."""
    total = sum(n for _, n in buckets)
    found, seen = [], 0
    for bucket, n in buckets:
        seen += n
        while len(found) < 2 and seen >= total * (0.5, 0.95)[len(found)]:
            found.append(_bucket_seconds(bucket))
    return (found + [0.0, 0.0])[0], (found + [0.0, 0.0])[1]


def charts(conn: Connection, now: datetime, zone: ZoneInfo) -> Charts:
    """From the rollups of operations (migration 0011), so 30 days cost the same at any size."""
    days = _days(now, zone)
    index = {d: n for n, d in enumerate(days)}
    since = midnight(now, zone) - timedelta(days=CHART_DAYS - 1)
    params = {"since": since, "zone": zone.key}
    by_tool: dict[str, list[int]] = {}
    outcomes = {"succeeded": [0] * len(days), "failed": [0] * len(days)}
    for day, tool, status, n in conn.execute(
        text(
            """
            SELECT to_char(hour AT TIME ZONE :zone, 'YYYY-MM-DD'), tool, status,
                   sum(runs)::bigint
            FROM operation_hours WHERE hour >= :since GROUP BY 1, 2, 3
            """
        ),
        params,
    ):
        if day not in index or not n:
            continue
        by_tool.setdefault(tool or "(none)", [0] * len(days))[index[day]] += n
        if status in outcomes:
            outcomes[status][index[day]] += n
    active = [0] * len(days)
    for day, n in conn.execute(_ACTIVE_INSTALLS, _shifted_masks(now, zone) | params):
        key = day.isoformat()
        if key in index:
            active[index[key]] = n
    per_tool: dict[str, list[tuple[int, int]]] = {}
    for tool, bucket, n in conn.execute(
        text(
            """
            SELECT tool, bucket, sum(runs)::bigint FROM operation_durations
            WHERE day >= CAST(:since AS date) GROUP BY 1, 2 HAVING sum(runs) > 0 ORDER BY 1, 2
            """
        ),
        {"since": since.date()},
    ):
        per_tool.setdefault(tool or "(none)", []).append((bucket, n))
    durations = [(tool, *_percentiles(b)) for tool, b in per_tool.items()]
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
