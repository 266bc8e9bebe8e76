"""The merge's temporary work tables live as long as a connection: made on first use, made again
after the transaction that made them rolled back, and holding only the batch being merged."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, text

from central.batch_merge import merge_batch
from central.merge import begin_merge
from replicator.wire import Change, pk


def _row(site: bytes, key: str, message: str) -> list[tuple[Change, str]]:
    packed = pk.pack([key])
    cells = [("install_id", site.hex()), ("level", "info"), ("message", message)]
    return [
        (Change(table="events", pk=packed, cid=cid, val=val, col_version=1, db_version=1,
                site_id=site, cl=1, seq=n), key)
        for n, (cid, val) in enumerate(cells)
    ]  # fmt: skip


def test_work_tables_survive_rollbacks_and_hold_one_batch_at_a_time(central_db: Engine):
    site = uuid.uuid4().bytes
    first, second = _row(site, "a", "first"), _row(site, "b", "second")
    with central_db.connect() as conn:
        # The first merge on this connection makes the tables; its rollback takes them away.
        with conn.begin() as tx:
            merge_batch(conn, first, begin_merge(conn))
            tx.rollback()
        with conn.begin():
            assert conn.execute(text("SELECT to_regclass('pg_temp.merge_in')")).scalar() is None
        # Two merges in one transaction: the second one's tables hold its own batch only.
        with conn.begin():
            assert merge_batch(conn, first, begin_merge(conn)).applied == 4
            assert merge_batch(conn, second, begin_merge(conn)).applied == 4
            staged = conn.execute(text("SELECT array_agg(DISTINCT pkv) FROM merge_in")).scalar()
            assert staged == ["b"]
        # The commit emptied them; the next transaction finds them and merges again.
        with conn.begin():
            assert conn.execute(text("SELECT count(*) FROM merge_in")).scalar() == 0
            assert merge_batch(conn, _row(site, "c", "third"), begin_merge(conn)).applied == 4
        with conn.begin():
            messages = conn.execute(text("SELECT id, message FROM events ORDER BY id")).all()
    assert [tuple(m) for m in messages] == [("a", "first"), ("b", "second"), ("c", "third")]
