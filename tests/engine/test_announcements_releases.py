"""Announcements (expiry, levels, local read state) and release notices on real engine.db files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.announcements import Announcements, level_of
from engine.releases import Releases

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_expired_announcements_hide_and_read_state_is_local(make_db) -> None:
    db = make_db()
    day, hour = timedelta(days=1), timedelta(hours=1)
    with db.write() as conn:
        conn.executemany(
            "INSERT INTO announcements (id, title, body, level, created, expires)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("old", "Old", "", "info", _iso(NOW - 9 * day), _iso(NOW - day)),
                ("freeze", "String freeze", "금요일", "warning", _iso(NOW - 2 * hour), None),
                ("down", "Server down", "", "URGENT", _iso(NOW - hour), _iso(NOW + day)),
                ("odd", "Odd expiry", "", "shout", None, "next week"),
            ],
        )  # fmt: skip
    announcements = Announcements(db)
    shown = announcements.current(NOW)
    assert [a.id for a in shown] == ["down", "freeze", "odd"]  # newest first, expired hidden
    assert [a.level for a in shown] == ["critical", "warning", "info"]
    announcements.mark_read("freeze")
    announcements.mark_read("freeze")  # twice is fine
    assert [a.id for a in announcements.unread(NOW)] == ["down", "odd"]
    with db.read() as conn:
        crrs = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'announcement_reads__crsql_clock'"
        ).fetchone()[0]
        changes = conn.execute(
            "SELECT count(*) FROM crsql_changes WHERE [table] = 'announcement_reads'"
        ).fetchone()[0]
    assert crrs == 0 and changes == 0  # read state never replicates
    assert level_of(None) == "info" and level_of(" Warning ") == "warning"


def test_release_notices_optional_dismissed_required_stays(make_db) -> None:
    db = make_db()
    releases = Releases(db, current="1.2.0")
    assert releases.notice() is None
    with db.write() as conn:
        conn.executemany(
            "INSERT INTO app_releases (version, required, notes, url) VALUES (?, ?, ?, ?)",
            [
                ("1.1.9", 1, "old", ""),
                ("1.10.0", 0, "Faster search", "https://example.test/1.10"),
                ("1.3.0", 0, "Glossary", ""),
                ("not a version", 1, "", ""),
            ],
        )
    notice = releases.notice()
    assert notice is not None and notice.newest.version == "1.10.0"  # 1.10 > 1.3 > 1.2
    assert not notice.required and notice.newest.url == "https://example.test/1.10"
    releases.dismiss("1.10.0")
    assert releases.notice() is None
    with db.write() as conn:
        conn.execute("UPDATE app_releases SET required = 1 WHERE version = '1.3.0'")
    required = releases.notice()
    assert required is not None and required.required and required.newest.version == "1.10.0"
    assert Releases(db, current="1.10.0").notice() is None  # updated: nothing to say
