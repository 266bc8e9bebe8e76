"""Where a pull ends, against its rule stated plainly: the longest run of whole versions, each
starting before PULL_BYTES of values, of at most ``limit`` changes; or else the first version
whole. Generated histories of versions and value sizes, read from central's database."""

from __future__ import annotations

from unittest import mock

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from central import pull
from central.accounts import Install

BUDGET = 100  # PULL_BYTES for these tests, so small values cross it
PULLER = Install("00" * 16, "mina", 0)
WRITER = bytes.fromhex("11" * 16)

sizes = st.one_of(st.none(), st.integers(0, 60))  # None: a NULL value
histories = st.lists(st.lists(sizes, min_size=1, max_size=6), max_size=10)


def _expected(history: list[list[int | None]], limit: int) -> tuple[list[tuple], bool]:
    """(version, index) of each change served, and whether more follows."""
    served: list[tuple] = []
    size = 0
    for version, values in enumerate(history, start=1):
        if served and (size >= BUDGET or len(served) + len(values) > limit):
            return served, True
        if not served and len(values) > limit:  # one version larger than the limit: whole
            return [(version, i) for i in range(len(values))], True
        served += [(version, i) for i in range(len(values))]
        size += sum(v or 0 for v in values)
    return served, False


# Each example writes its history in a transaction it rolls back: the database is shared safely.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories, limit=st.integers(1, 8))
@example(history=[[50, 50], [1]], limit=8)  # exactly PULL_BYTES before the second version
@example(history=[[1, 2, 3], [4]], limit=2)  # the first version is larger than the limit
def test_a_pull_ends_where_its_rule_says(central_db: Engine, history, limit) -> None:
    with central_db.connect() as conn, conn.begin():
        conn.execute(text("DELETE FROM crr_clock"))  # the admin account's: only this history
        for version, values in enumerate(history, start=1):
            for i, size in enumerate(values):
                conn.execute(
                    text(
                        "INSERT INTO crr_clock (tbl, pk, cid, col_version, db_version, site_id,"
                        " seq, vtype, vbytes) VALUES ('glossary_terms', :pk, 'note', 1, :version,"
                        " :site, :i, :vtype, :value)"
                    ),
                    {
                        "pk": bytes([version, i]),
                        "version": version,
                        "site": WRITER,
                        "i": i,
                        "vtype": 0 if size is None else 4,
                        "value": None if size is None else b"x" * size,
                    },
                )
        with mock.patch.object(pull, "PULL_BYTES", BUDGET):
            answer = pull.changes_since(conn, PULLER, 0, limit)
        conn.rollback()
    served, more = _expected(history, limit)
    assert [(c.db_version, c.pk[1]) for c in answer.changes] == served
    assert answer.more == more
    assert answer.cursor == (served[-1][0] if served else 0)
