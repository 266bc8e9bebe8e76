"""A pull's cursor never passes a version that is still being merged: the puller would otherwise
skip that version's changes forever."""

from __future__ import annotations

from sqlalchemy import Engine

from central import pull, writes
from central.accounts import Install


def _pull(engine: Engine, install: Install, since: int):
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot as conn, conn.begin():
        return pull.changes_since(conn, install, since, 100)


def test_cursor_stays_below_an_uncommitted_merge(central_db: Engine) -> None:
    install = Install(install_id="ab" * 16, username="mina", acked_db_version=0)
    first = _pull(central_db, install, 0)  # the bootstrap admin user
    assert first.changes and not first.more

    with central_db.connect() as writer:
        tx = writer.begin()
        version = writes.write_row(
            writer, "glossary_terms", "t1", {"source": "검", "translation": "sword"}
        )
        during = _pull(central_db, install, first.cursor)
        assert during.changes == []
        assert during.cursor < version
        tx.commit()

    after = _pull(central_db, install, during.cursor)
    assert {c.cid for c in after.changes} == {"source", "translation"}
    assert after.cursor == version
    assert _pull(central_db, install, after.cursor).changes == []
