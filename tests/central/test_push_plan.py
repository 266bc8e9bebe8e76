"""The push planner alone (pure logic, no database): which versions merge, which wait for their
other parts, what is parked, and where the watermark goes."""

from __future__ import annotations

import pytest

from central.errors import AheadOfCentral, BadChangeset
from central.push_plan import PushPlan, check_spans, plan_push
from replicator.wire import Change, PushRequest, VersionSpan, pk

SITE = b"s" * 16


def _change(db_version: int, seq: int, cid: str = "source") -> Change:
    return Change(
        table="glossary_terms",
        pk=pk.pack([f"t{db_version}-{seq}"]),
        cid=cid,
        val="검",
        col_version=1,
        db_version=db_version,
        site_id=SITE,
        cl=1,
        seq=seq,
    )


def _plan(
    changes: list[Change],
    spans: list[VersionSpan],
    *,
    acked: int = 0,
    since: int = 0,
    parked: dict[int, int] | None = None,
    declared: dict[int, int] | None = None,
    unknown_cids: frozenset[str] = frozenset(),
) -> PushPlan:
    request = PushRequest(
        site_id=SITE, schema_version=2, since=since, versions=spans, changes=changes
    )
    checked = [(c, f"t{c.db_version}-{c.seq}") for c in changes if c.cid not in unknown_cids]
    unknown = [c for c in changes if c.cid in unknown_cids]
    return plan_push(
        check_spans(request),
        checked,
        unknown,
        since=since,
        acked=acked,
        parked=parked or {},
        declared=declared or {},
    )


def _versions(pairs) -> list[tuple[int, int]]:
    return [(c.db_version, c.seq) for c, _ in pairs]


def test_whole_versions_merge_and_move_the_watermark() -> None:
    changes = [_change(3, 0), _change(3, 1), _change(5, 0)]
    spans = [
        VersionSpan(db_version=3, count=2, last_seq=1),
        VersionSpan(db_version=5, count=1, last_seq=0),
    ]
    plan = _plan(changes, spans)
    assert _versions(plan.merge) == [(3, 0), (3, 1), (5, 0)]
    assert (plan.unpark, plan.park_incomplete, plan.declare, plan.watermark) == ([], [], [], 5)
    assert plan.parked == 0


def test_versions_at_or_below_the_watermark_are_dropped() -> None:
    changes = [_change(3, 0), _change(5, 0)]
    spans = [
        VersionSpan(db_version=3, count=1, last_seq=0),
        VersionSpan(db_version=5, count=1, last_seq=0),
    ]
    plan = _plan(changes, spans, acked=3, since=3)
    assert _versions(plan.merge) == [(5, 0)]
    assert plan.watermark == 5
    replay = _plan(changes, spans, acked=5, since=0)  # everything is merged already
    assert (replay.merge, replay.watermark, replay.parked) == ([], 5, 0)


def test_a_push_past_the_watermark_is_a_conflict() -> None:
    with pytest.raises(AheadOfCentral, match="resume from there"):
        _plan([_change(5, 0)], [VersionSpan(db_version=5, count=1, last_seq=0)], acked=3, since=4)


def test_a_first_part_is_parked_and_holds_the_watermark() -> None:
    changes = [_change(2, 0), _change(7, 0), _change(7, 1)]
    spans = [
        VersionSpan(db_version=2, count=1, last_seq=0),
        VersionSpan(db_version=7, count=4, last_seq=3),
    ]
    plan = _plan(changes, spans)
    assert _versions(plan.merge) == [(2, 0)]
    assert [(c.db_version, c.seq) for c in plan.park_incomplete] == [(7, 0), (7, 1)]
    assert (plan.declare, plan.watermark, plan.parked) == ([], 2, 2)


def test_the_last_part_completes_a_version_from_its_parked_parts() -> None:
    changes = [_change(7, 2), _change(7, 3)]
    spans = [VersionSpan(db_version=7, count=4, last_seq=3)]
    plan = _plan(changes, spans, parked={7: 2})
    assert plan.unpark == [7]
    assert _versions(plan.merge) == [(7, 2), (7, 3)]
    assert (plan.park_incomplete, plan.watermark) == ([], 7)


def test_a_last_part_short_of_the_count_declares_the_size_and_waits() -> None:
    changes = [_change(7, 2), _change(7, 3)]
    span = VersionSpan(db_version=7, count=5, last_seq=3)
    plan = _plan(changes, [span], parked={7: 2})
    assert (plan.merge, plan.unpark, plan.declare, plan.watermark) == ([], [], [span], 0)
    assert len(plan.park_incomplete) == 2


def test_a_declared_size_completes_a_version_without_its_last_seq() -> None:
    # the part that carried the last seq came earlier and declared 5; this part makes it 5
    changes = [_change(7, 1)]
    spans = [VersionSpan(db_version=7, count=5, last_seq=3)]
    plan = _plan(changes, spans, parked={7: 4}, declared={7: 5})
    assert (plan.unpark, plan.watermark) == ([7], 7)
    waiting = _plan(changes, spans, parked={7: 3}, declared={7: 5})
    assert (waiting.unpark, waiting.watermark, waiting.declare) == ([], 0, [])


def test_cells_of_unknown_columns_count_toward_completeness_and_are_parked() -> None:
    changes = [_change(4, 0), _change(4, 1, cid="pronunciation")]
    spans = [VersionSpan(db_version=4, count=2, last_seq=1)]
    plan = _plan(changes, spans, unknown_cids=frozenset({"pronunciation"}))
    assert _versions(plan.merge) == [(4, 0)]
    assert [c.cid for c in plan.park_unknown] == ["pronunciation"]
    assert (plan.watermark, plan.parked) == (4, 1)


def test_an_incomplete_version_must_be_the_last_of_a_push() -> None:
    changes = [_change(7, 0), _change(8, 0)]
    spans = [
        VersionSpan(db_version=7, count=2, last_seq=1),
        VersionSpan(db_version=8, count=1, last_seq=0),
    ]
    with pytest.raises(BadChangeset, match="version 7 is incomplete, yet the push goes on"):
        _plan(changes, spans)


@pytest.mark.parametrize(
    ("changes", "spans", "message"),
    [
        ([_change(3, 1), _change(3, 0)], [VersionSpan(db_version=3, count=2, last_seq=1)], "order"),
        ([_change(3, 0)], [VersionSpan(db_version=4, count=1, last_seq=0)], "has no span"),
        ([_change(3, 2)], [VersionSpan(db_version=3, count=1, last_seq=1)], "past its version"),
        (
            [_change(3, 0)],
            [VersionSpan(db_version=3, count=1, last_seq=0)] * 2,
            "listed twice",
        ),
    ],
)
def test_spans_that_do_not_describe_the_changes_are_refused(changes, spans, message) -> None:
    request = PushRequest(site_id=SITE, schema_version=2, versions=spans, changes=changes)
    with pytest.raises(BadChangeset, match=message):
        check_spans(request)


def test_parked_parts_of_a_version_the_install_no_longer_has_are_discarded() -> None:
    # Version 2 was parked half-way; the install then rewrote its cells in version 3, so its
    # next push after version 1 holds version 3 only: version 2 will never complete.
    plan = _plan(
        [_change(3, 0)],
        [VersionSpan(db_version=3, count=1, last_seq=0)],
        acked=1,
        since=1,
        parked={2: 13, 4: 1},
        declared={2: 14},
    )
    assert plan.watermark == 3
    assert plan.discard == [2]  # version 4, past the watermark, may still complete
    assert plan.unpark == []
    # a version completed from its parked parts is unparked, not discarded
    done = _plan([_change(2, 1)], [VersionSpan(db_version=2, count=2, last_seq=1)],
                 acked=1, since=1, parked={2: 1})  # fmt: skip
    assert (done.unpark, done.discard, done.watermark) == ([2], [], 2)
