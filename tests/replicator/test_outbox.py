"""The outbox sends only this install's own changes, in whole transactions."""

from __future__ import annotations

from replicator import inbox, outbox


def _insert_terms(db, count: int, prefix: str) -> None:
    with db.write() as conn:  # one transaction = one db_version
        for i in range(count):
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation) VALUES (?, ?, ?)",
                (f"{prefix}{i}", "원문", "source"),
            )


def test_batches_never_split_a_transaction(make_db) -> None:
    db = make_db()
    for v in range(3):
        _insert_terms(db, 1, f"small{v}-")  # 5 changes (one per column) per transaction
    _insert_terms(db, 4, "big-")  # 20 changes in one transaction
    with db.read() as conn:
        first = outbox.read_batch(conn, 0, limit=12)
        assert [c.db_version for c in first] == [1] * 5 + [2] * 5  # version 3 would not fit
        second = outbox.read_batch(conn, 2, limit=12)
        assert {c.db_version for c in second} == {3}
        big = outbox.read_batch(conn, 3, limit=12)
        assert len(big) == 20 and {c.db_version for c in big} == {4}  # too big: sent alone, whole
        assert outbox.read_batch(conn, 4, limit=12) == []


def test_changes_received_from_elsewhere_are_not_sent_back(make_db) -> None:
    here, elsewhere = make_db("here"), make_db("elsewhere")
    _insert_terms(elsewhere, 2, "theirs-")
    with elsewhere.read() as conn:
        theirs = outbox.read_batch(conn, 0, 1000)
    with here.write() as conn:
        inbox.apply(conn, theirs)
    _insert_terms(here, 1, "mine-")
    with here.read() as conn:
        mine = outbox.read_batch(conn, 0, 1000)
        assert conn.execute("SELECT count(*) FROM glossary_terms").fetchone()[0] == 3
    assert len(mine) == 5
    assert {c.site_id for c in mine} == {here.site_id}
