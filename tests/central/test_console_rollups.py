"""The overview's rollups of operations (migration 0011) follow every insert, update and delete of
the mirror, whether one row or many in one statement (as central's set-based merge writes)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from web_admin.overview import _shifted_masks


def _hours(engine: Engine) -> dict[tuple[str, str], int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tool, status, sum(runs) FROM operation_hours GROUP BY 1, 2")
        ).all()
    return {(tool, status): int(n) for tool, status, n in rows if n}


def _durations(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT coalesce(sum(runs), 0) FROM operation_durations")
            ).scalar_one()
        )


def test_rollups_follow_inserts_updates_and_deletes(central_db: Engine) -> None:
    with central_db.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO operations (id, install_id, username, tool, status, started, duration)"
                " SELECT 'op' || i, 'pc', 'mina', 'xls_transfer', 'running',"
                " now() - i * interval '1 hour', NULL FROM generate_series(1, 5) AS i"
            )
        )
    assert _hours(central_db) == {("xls_transfer", "running"): 5}
    assert _durations(central_db) == 0
    with central_db.begin() as conn:
        conn.execute(
            text(
                "UPDATE operations SET status = 'succeeded', duration = 1.5"
                " WHERE id IN ('op1', 'op2', 'op3')"
            )
        )
        conn.execute(
            text("UPDATE operations SET status = 'failed', duration = 0.2 WHERE id = 'op4'")
        )
    assert _hours(central_db) == {
        ("xls_transfer", "running"): 1,
        ("xls_transfer", "succeeded"): 3,
        ("xls_transfer", "failed"): 1,
    }
    assert _durations(central_db) == 4
    with central_db.begin() as conn:
        conn.execute(text("DELETE FROM operations WHERE id IN ('op1', 'op5')"))
    assert _hours(central_db) == {("xls_transfer", "succeeded"): 2, ("xls_transfer", "failed"): 1}
    assert _durations(central_db) == 3
    with central_db.connect() as conn:
        hours = conn.execute(text("SELECT sum(bit_count(hours::bit(24))) FROM install_days"))
        users = conn.execute(text("SELECT count(*) FROM user_days")).scalar_one()
    assert hours.scalar_one() == 5  # five hours of activity: "was active" stays when a run goes
    assert users >= 1


def test_utc_hours_fall_in_the_viewers_days() -> None:
    winter = datetime(2031, 1, 15, tzinfo=UTC)
    seoul = _shifted_masks(winter, ZoneInfo("Asia/Seoul"))  # UTC+9: 15:00 UTC is tomorrow
    assert seoul == {"before": 0, "same": (1 << 15) - 1, "after": ((1 << 24) - 1) ^ ((1 << 15) - 1)}
    los_angeles = _shifted_masks(winter, ZoneInfo("America/Los_Angeles"))  # UTC-8
    assert los_angeles["before"] == (1 << 8) - 1 and los_angeles["after"] == 0
    assert _shifted_masks(winter, ZoneInfo("UTC")) == {"before": 0, "same": 2**24 - 1, "after": 0}
