"""Deliberately broken merges, each expected to be caught by one of the machine's invariants.

They show the invariants can fail: `locanext fuzz --mutation NAME` runs the machine with one of
them (testers use it to see what a failure looks like).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from unittest import mock

from sqlalchemy import text

from central import batch_merge, ingest, pull, push_plan


@dataclass(frozen=True)
class Mutation:
    name: str
    breaks: str  # what is broken
    caught_by: str  # words of the assertion message that should catch it
    apply: Callable[[], AbstractContextManager[None]]


@contextmanager
def _stored_cell_wins_ties() -> Iterator[None]:
    # an incoming cell replaces a stored one only when larger; broken: also when equal or smaller
    # in value at the same edit count (compares col_version alone)
    sql = batch_merge._PUT_CELLS
    start = sql.index("     WHERE (excluded.col_version")
    end = sql.index("    RETURNING")
    sql = sql[:start] + "     WHERE excluded.col_version >= c.col_version\n" + sql[end:]
    with mock.patch.object(batch_merge, "_PUT_CELLS", sql):
        yield


@contextmanager
def _torn_versions() -> Iterator[None]:
    # every part counts as a whole version
    with mock.patch.object(push_plan, "_complete", lambda *args: True):
        yield


@contextmanager
def _watermark_from_push() -> Iterator[None]:
    # central believes the watermark a push names, even an old one
    real = ingest.push

    def push(conn, install, request):
        response = real(conn, install, request)
        conn.execute(
            text("UPDATE enrollments SET acked_db_version = :a WHERE install_id = :i"),
            {"a": min(request.since, response.acked_db_version), "i": install.install_id},
        )
        return response

    with mock.patch.object(ingest, "push", push):
        yield


@contextmanager
def _pull_skips() -> Iterator[None]:
    # the pull cursor jumps past changes it did not send
    real = pull.changes_since

    def changes_since(conn, install, since, limit):
        response = real(conn, install, since, limit)
        if response.changes:
            return response.model_copy(update={"changes": response.changes[:-1]})
        return response

    with mock.patch.object(pull, "changes_since", changes_since):
        yield


@contextmanager
def _deletes_ignored() -> Iterator[None]:
    # a row's delete (even causal length) is taken as nothing new
    sql = batch_merge._CLASSIFY.replace(
        "CASE WHEN top > local_cl THEN 'delete' ELSE 'noop' END", "'noop'"
    )
    assert sql != batch_merge._CLASSIFY
    with mock.patch.object(batch_merge, "_CLASSIFY", sql):
        yield


@contextmanager
def _ack_past_parts() -> Iterator[None]:
    # the watermark moves past a version central holds only part of
    real = ingest.push

    def push(conn, install, request):
        response = real(conn, install, request)
        if response.partial is not None:
            conn.execute(
                text("UPDATE enrollments SET acked_db_version = :a WHERE install_id = :i"),
                {"a": response.partial.db_version, "i": install.install_id},
            )
            response = response.model_copy(
                update={"acked_db_version": response.partial.db_version, "partial": None}
            )
        return response

    with mock.patch.object(ingest, "push", push):
        yield


@contextmanager
def _first_version_dropped() -> Iterator[None]:
    # the oldest version of every push is acknowledged but never merged
    real = ingest.merge_batch

    def merge(conn, batch, version):
        oldest = min((change.db_version for change, _ in batch), default=None)
        return real(conn, [pair for pair in batch if pair[0].db_version != oldest], version)

    with mock.patch.object(ingest, "merge_batch", merge):
        yield


@contextmanager
def _stale_changes_resurrect() -> Iterator[None]:
    # a change older than the row's causal length re-creates the row instead of being ignored
    sql = batch_merge._CLASSIFY.replace("WHEN n = 0 THEN 'ignore'", "WHEN n = 0 THEN 'create'")
    assert sql != batch_merge._CLASSIFY
    with mock.patch.object(batch_merge, "_CLASSIFY", sql):
        yield


MUTATIONS = {
    m.name: m
    for m in (
        Mutation(
            "last-writer-wins-ties",
            "at equal edit counts the cell that arrives last wins, not the larger value",
            "differ",
            _stored_cell_wins_ties,
        ),
        Mutation(
            "torn-versions",
            "parts of a transaction are shown before all have arrived",
            "visible",
            _torn_versions,
        ),
        Mutation(
            "watermark-from-push",
            "central takes its watermark from what a (replayed) push says",
            "went back",
            _watermark_from_push,
        ),
        Mutation(
            "pull-skips",
            "a pull drops its last change but still moves the cursor past it",
            "converge",
            _pull_skips,
        ),
        Mutation(
            "deletes-ignored",
            "a delete from another install is treated as old news",
            "came back",
            _deletes_ignored,
        ),
        Mutation(
            "stale-changes-resurrect",
            "an edit older than a delete brings the deleted row back",
            "came back",
            _stale_changes_resurrect,
        ),
        Mutation(
            "first-version-dropped",
            "the oldest transaction of every push is acknowledged but never merged",
            "exactly the ones recorded",
            _first_version_dropped,
        ),
        Mutation(
            "ack-past-parts",
            "the watermark moves past a transaction central holds only part of",
            "missing or partial",
            _ack_past_parts,
        ),
    )
}
