"""The outbox streams only this install's own changes, as pushes that describe each version."""

from __future__ import annotations

from replicator import inbox, outbox
from replicator.wire import PartialVersion


def _insert_terms(db, count: int, prefix: str) -> None:
    with db.write() as conn:  # one transaction = one db_version
        for i in range(count):
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation) VALUES (?, ?, ?)",
                (f"{prefix}{i}", "원문", "source"),
            )


def _pushes(db, acked=0, partial=None, target=12, limit=15):
    def describe(version: int) -> tuple[int, int]:
        with db.read() as conn:
            return outbox.version_size(conn, version)

    with db.snapshot() as conn:
        return list(
            outbox.pushes(conn, describe, db.site_id, 2, acked, partial, target=target, limit=limit)
        )


def test_pushes_end_at_version_boundaries_and_split_only_oversized_versions(make_db) -> None:
    db = make_db()
    for v in range(3):
        _insert_terms(db, 1, f"small{v}-")  # 5 changes (one per column) per transaction
    _insert_terms(db, 4, "big-")  # 20 changes in one transaction
    first, second, third = _pushes(db)
    assert [c.db_version for c in first.changes] == [1] * 5 + [2] * 5 + [3] * 5
    assert [(s.db_version, s.count, s.last_seq) for s in first.versions] == [
        (1, 5, 4),
        (2, 5, 4),
        (3, 5, 4),
    ]
    # version 4 (20 changes) is larger than a push: two parts, each describing the whole version
    assert [c.seq for c in second.changes] == list(range(15))
    assert [c.seq for c in third.changes] == list(range(15, 20))
    assert second.versions == third.versions
    assert (second.versions[0].count, second.versions[0].last_seq) == (20, 19)


def test_a_pass_resumes_after_what_central_holds(make_db) -> None:
    db = make_db()
    _insert_terms(db, 1, "a-")
    _insert_terms(db, 4, "big-")
    [rest] = _pushes(db, acked=1, partial=PartialVersion(db_version=2, next_seq=15))
    assert [c.seq for c in rest.changes] == [15, 16, 17, 18, 19]
    assert (rest.versions[0].count, rest.versions[0].last_seq) == (20, 19)
    assert _pushes(db, acked=2) == []


def test_changes_received_from_elsewhere_are_not_sent_back(make_db) -> None:
    here, elsewhere = make_db("here"), make_db("elsewhere")
    _insert_terms(elsewhere, 2, "theirs-")
    [theirs] = _pushes(elsewhere, limit=1000)
    with here.write() as conn:
        inbox.apply(conn, theirs.changes)
    _insert_terms(here, 1, "mine-")
    [mine] = _pushes(here, limit=1000)
    with here.read() as conn:
        assert conn.execute("SELECT count(*) FROM glossary_terms").fetchone()[0] == 3
    assert len(mine.changes) == 5
    assert {c.site_id for c in mine.changes} == {here.site_id}
