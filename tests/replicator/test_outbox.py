"""The outbox streams only this install's own changes, as pushes that describe each version."""

from __future__ import annotations

import gzip

from hypothesis import given
from hypothesis import strategies as st

from engine.db import MAX_VALUE_BYTES
from replicator import inbox, outbox
from replicator.wire import MAX_KEY_BYTES, MIN_BODY_BYTES, Change, PartialVersion


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


# --- cutting by size (pure: synthetic crsql_changes rows, no database) -------------------------

SITE = bytes(range(16))
SMALL_LIMIT = 64 * 1024  # a body limit small enough for quick examples


def _row(version: int, seq: int, value: str | bytes, pk: bytes = b"\x01\x0b\x01a") -> tuple:
    return ("glossary_terms", pk, "note", value, 1, version, SITE, 1, seq)


def _versions(draw_sizes: list[list[tuple[int, bool]]]) -> list[tuple]:
    """Rows of consecutive versions; each value of the drawn size, text or blob."""
    rows = []
    for version, values in enumerate(draw_sizes, start=1):
        for seq, (size, blob) in enumerate(values):
            rows.append(_row(version, seq, b"\xff" * size if blob else "\x01" * size))
    return rows


def _describe_from(rows: list[tuple]):
    def describe(version: int) -> tuple[int, int]:
        seqs = [r[8] for r in rows if r[5] == version]
        return len(seqs), max(seqs)

    return describe


# Values up to an eighth of the limit, as the engine's largest value is of central's smallest
# limit; escaped text takes six bytes a character, so single changes nearly fill a push.
VALUES = st.lists(
    st.lists(st.tuples(st.integers(0, SMALL_LIMIT // 8), st.booleans()), min_size=1, max_size=12),
    min_size=1,
    max_size=25,
)


@given(VALUES, st.integers(1, 8))
def test_every_push_encodes_under_the_limit_and_carries_each_change_once(sizes, target) -> None:
    rows = _versions(sizes)
    requests = list(
        outbox.cut(
            rows, _describe_from(rows), SITE, 2, False,
            target=target, limit=target + 4, max_bytes=SMALL_LIMIT,
        )
    )  # fmt: skip
    sent = [c.as_row() for r in requests for c in r.changes]
    assert sent == [Change.from_row(row).as_row() for row in rows]  # all, once, in order
    budget = outbox.push_budget(SMALL_LIMIT)
    for request in requests:
        body = request.model_copy(update={"since": 2**63 - 1}).model_dump_json().encode()
        assert len(request.changes) <= target + 4
        assert len(body) <= SMALL_LIMIT and len(gzip.compress(body)) <= SMALL_LIMIT
        for span in request.versions:  # each span describes its whole version
            assert (span.count, span.last_seq) == _describe_from(rows)(span.db_version)
    pushes_of = {}
    for n, request in enumerate(requests):
        for span in request.versions:
            pushes_of.setdefault(span.db_version, []).append(n)
    for version, values in enumerate(sizes, start=1):
        size = sum(outbox.encoded_size(Change.from_row(r)) for r in rows if r[5] == version)
        if size + outbox.SPAN_BYTES <= budget // 4 and len(values) <= 4:
            assert len(pushes_of[version]) == 1, f"version {version} fits but was split"


def test_a_push_of_the_largest_value_the_engine_allows_fits_the_smallest_limit() -> None:
    # the worst encoding: every character escaped as \u0001, the longest key and names
    pk = b"\x01\x0c" + MAX_KEY_BYTES.to_bytes(2, "big") + b"k" * (MAX_KEY_BYTES - 4)
    worst = (
        "t" * 128,
        pk,
        "c" * 128,
        "\x01" * MAX_VALUE_BYTES,
        2**63 - 1,
        2**63 - 1,
        SITE,
        2**63 - 1,
        0,
    )
    [request] = outbox.cut(
        [worst], _describe_from([worst]), SITE, 2, False,
        target=4000, limit=5000, max_bytes=MIN_BODY_BYTES,
    )  # fmt: skip
    body = request.model_copy(update={"since": 2**63 - 1}).model_dump_json().encode()
    assert 6 * MAX_VALUE_BYTES < len(body) < MIN_BODY_BYTES
    assert outbox.encoded_size(request.changes[0]) < outbox.push_budget(MIN_BODY_BYTES)


def test_large_changes_are_cut_by_size_at_version_boundaries() -> None:
    # twelve versions of one 20 KB value: a 64 KiB push holds three of them whole
    rows = [_row(v, 0, "n" * 20_000) for v in range(1, 13)]
    requests = list(
        outbox.cut(rows, _describe_from(rows), SITE, 2, False, target=4000, limit=5000,
                   max_bytes=SMALL_LIMIT)
    )  # fmt: skip
    assert [len(r.changes) for r in requests] == [3, 3, 3, 3]
    assert [c.db_version for r in requests for c in r.changes] == list(range(1, 13))
