"""Group commit over real HTTP: pushes that arrive while a merge runs are merged together in one
transaction, each answered after it commits, each merged exactly once; a push refused inside a
group leaves the others of its group merged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from central.api.app import create_app
from central.group_commit import GroupCommit
from central.merge import MERGE_LOCK, begin_merge
from central.settings import CentralSettings
from engine.server import BackgroundServer
from replicator import link
from tests.central.test_sync_api import _create_user, _push, _requests
from tests.waiting import wait_for

INSTALLS = 6


@pytest.fixture
def central(central_db: Engine, pg_dsn: str) -> Iterator[tuple[str, GroupCommit]]:
    app = create_app(CentralSettings(dsn=pg_dsn), central_db)
    server = BackgroundServer(app)
    yield server.start(), app.state.group_commit
    server.stop()


def _installs(make_db, url: str) -> list[tuple[object, str]]:
    _create_user(url, "mina", "mina-password")
    out = []
    for i in range(INSTALLS):
        db = make_db(f"install-{i}")
        token = link.enroll(db, url, "mina", "mina-password").token
        with db.write() as conn:
            for j in range(3):
                conn.execute(
                    "INSERT INTO glossary_terms (id, source, translation) VALUES (?, ?, ?)",
                    (f"term-{i}-{j}", "검", f"sword {i}"),
                )
        out.append((db, token))
    return out


def _write_op_1(db, status: str) -> None:
    """The operation row 'op-1', as this install's."""
    with db.write() as conn:
        conn.execute(
            "INSERT INTO operations (id, install_id, username, tool, status)"
            " VALUES ('op-1', ?, 'mina', 'xlsx_transfer', ?)",
            (db.install_id, status),
        )


def _libpq(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


def _held_merge_lock(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(_libpq(dsn), autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (MERGE_LOCK,))
    return conn


def _waiting_for_lock(dsn: str) -> int:
    with psycopg.connect(_libpq(dsn), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        ).fetchone()
    return row[0] if row else 0


def test_concurrent_pushes_are_merged_in_one_group_each_exactly_once(
    central, central_db: Engine, pg_dsn: str, make_db
) -> None:
    url, groups = central
    installs = _installs(make_db, url)
    bodies = [json.loads(_requests(db)[0].model_dump_json()) for db, _ in installs]
    bad = dict(bodies[2], since=10**6)  # starts past its watermark: refused inside the group
    sends = [(token, body) for (_, token), body in zip(installs, bodies, strict=True)]
    sends[2] = (installs[2][1], bad)
    before = groups.groups

    lock = _held_merge_lock(pg_dsn)  # the merge in progress that the pushes arrive during
    try:
        with ThreadPoolExecutor(INSTALLS) as pool:
            answers = [pool.submit(_push, url, token, body) for token, body in sends]
            wait_for(
                lambda: (groups.waiting + groups.taking, _waiting_for_lock(pg_dsn)),
                until=lambda seen: seen == (INSTALLS, 1),
                timeout=30,
                what="every push queued or in the group waiting for the merge lock",
            )
            assert not any(a.done() for a in answers)  # nobody answered before the commit
            lock.execute("SELECT pg_advisory_unlock(%s)", (MERGE_LOCK,))
            responses = [a.result(timeout=60) for a in answers]
    finally:
        lock.close()

    assert [r.status_code for r in responses] == [200, 200, 409, 200, 200, 200]
    assert responses[2].json()["code"] == "ahead_of_central"
    # the first push went alone into the group waiting for the lock; the rest came together
    assert groups.groups - before <= 2
    with central_db.connect() as conn:
        versions = conn.execute(
            text("SELECT count(DISTINCT db_version) FROM crr_clock WHERE tbl = 'glossary_terms'")
        ).scalar_one()
        terms = conn.execute(text("SELECT id FROM glossary_terms ORDER BY id")).scalars().all()
        acked = dict(
            conn.execute(text("SELECT install_id, acked_db_version FROM enrollments")).all()
        )
    assert versions <= 2
    expected = sorted(f"term-{i}-{j}" for i in range(INSTALLS) if i != 2 for j in range(3))
    assert terms == expected
    for i, ((db, _), body) in enumerate(zip(installs, bodies, strict=True)):
        last = body["versions"][-1]["db_version"]
        assert acked[db.install_id] == (0 if i == 2 else last)

    # every push again, together: the merged ones change nothing, the refused one now merges
    with ThreadPoolExecutor(INSTALLS) as pool:
        again = list(
            pool.map(lambda s: _push(url, s[0][1], s[1]), zip(installs, bodies, strict=True))
        )
    assert [r.status_code for r in again] == [200] * INSTALLS
    applied = [r.json()["applied"] for r in again]
    assert applied[2] > 0 and applied[:2] + applied[3:] == [0] * (INSTALLS - 1)
    with central_db.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM glossary_terms")).scalar_one()
    assert count == 3 * INSTALLS


def test_an_upstream_row_two_installs_write_in_one_group_is_the_first_ones(
    central, central_db: Engine, pg_dsn: str, make_db
) -> None:
    """Merged together, the second install writing the first one's operation row is refused
    as if the first push had been merged before it."""
    url, groups = central
    _create_user(url, "mina", "mina-password")
    sends = []
    for name in ("first", "second"):
        db = make_db(name)
        token = link.enroll(db, url, "mina", "mina-password").token
        _write_op_1(db, "succeeded")
        sends.append((db, token, json.loads(_requests(db)[0].model_dump_json())))

    lock = _held_merge_lock(pg_dsn)
    try:
        with ThreadPoolExecutor(3) as pool:
            # a push of its own first, so the two under test wait together behind it
            blocker = make_db("blocker")
            blocker_token = link.enroll(blocker, url, "mina", "mina-password").token
            with blocker.write() as conn:
                conn.execute("INSERT INTO glossary_terms (id, translation) VALUES ('b', 'b')")
            first_in = pool.submit(
                _push, url, blocker_token, json.loads(_requests(blocker)[0].model_dump_json())
            )
            wait_for(lambda: groups.taking, timeout=30, what="the blocker's group")
            answers = []
            for _, token, body in sends:  # in this order
                answers.append(pool.submit(_push, url, token, body))
                queued = len(answers)
                wait_for(
                    lambda: groups.waiting,
                    until=lambda n, queued=queued: n == queued,
                    timeout=30,
                    what=f"{queued} pushes queued",
                )
            lock.execute("SELECT pg_advisory_unlock(%s)", (MERGE_LOCK,))
            assert first_in.result(timeout=60).status_code == 200
            first, second = (a.result(timeout=60) for a in answers)
    finally:
        lock.close()

    assert first.status_code == 200 and first.json()["applied"] > 0
    assert second.status_code == 403 and second.json()["code"] == "forbidden"
    with central_db.connect() as conn:
        row = conn.execute(text("SELECT install_id FROM operations WHERE id = 'op-1'")).one()
    assert row.install_id == sends[0][0].install_id


def test_pushes_checked_together_against_the_clocks_are_refused_alone(
    central, central_db: Engine, pg_dsn: str, make_db
) -> None:
    """A group's pushes are checked against central's clocks in one go: a clock jump and a row
    another install already created each refuse their own push only."""
    url, groups = central
    installs = _installs(make_db, url)[:4]
    owner = make_db("owner")
    owner_token = link.enroll(owner, url, "mina", "mina-password").token
    _write_op_1(owner, "succeeded")
    owned = json.loads(_requests(owner)[0].model_dump_json())
    assert _push(url, owner_token, owned).status_code == 200
    _write_op_1(installs[2][0], "failed")  # a row central already holds as the owner's
    bodies = [json.loads(_requests(db)[0].model_dump_json()) for db, _ in installs]
    bodies[1]["changes"][0]["col_version"] = 2**32 + 1  # past any step an install could make

    lock = _held_merge_lock(pg_dsn)
    try:
        with ThreadPoolExecutor(len(installs)) as pool:
            answers = [
                pool.submit(_push, url, token, body)
                for (_, token), body in zip(installs, bodies, strict=True)
            ]
            wait_for(
                lambda: (groups.waiting + groups.taking, _waiting_for_lock(pg_dsn)),
                until=lambda seen: seen == (len(installs), 1),
                timeout=30,
                what="every push queued or in the group waiting for the merge lock",
            )
            lock.execute("SELECT pg_advisory_unlock(%s)", (MERGE_LOCK,))
            responses = [a.result(timeout=60) for a in answers]
    finally:
        lock.close()

    codes = [(r.status_code, r.json().get("code")) for r in responses]
    assert codes == [(200, None), (400, "clock_out_of_range"), (403, "forbidden"), (200, None)]
    assert "belongs to another install" in responses[2].json()["detail"]
    with central_db.connect() as conn:
        terms = conn.execute(text("SELECT id FROM glossary_terms ORDER BY id")).scalars().all()
        acked = dict(
            conn.execute(text("SELECT install_id, acked_db_version FROM enrollments")).all()
        )
        status = conn.execute(text("SELECT status FROM operations WHERE id = 'op-1'")).scalar()
    assert terms == sorted(f"term-{i}-{j}" for i in (0, 3) for j in range(3))
    assert status == "succeeded"  # still the owner's
    for i, (db, _) in enumerate(installs):
        last = bodies[i]["versions"][-1]["db_version"]
        assert acked[db.install_id] == (last if i in (0, 3) else 0)


def test_a_merge_draws_its_version_only_once_it_holds_the_lock(
    central_db: Engine, pg_dsn: str
) -> None:
    # Versions commit in the order they were drawn only if they are drawn under the lock: a
    # merge that waits for the lock must get a version newer than one drawn meanwhile.
    lock = psycopg.connect(_libpq(pg_dsn), autocommit=True)
    try:
        lock.execute("SELECT pg_advisory_lock(%s)", (MERGE_LOCK,))
        with ThreadPoolExecutor(max_workers=1) as pool:

            def merge() -> int:
                with central_db.begin() as conn:
                    return begin_merge(conn)

            waiting = pool.submit(merge)
            wait_for(
                lambda: _waiting_for_lock(pg_dsn), timeout=30, what="the merge waiting for the lock"
            )
            drawn_meanwhile = lock.execute("SELECT nextval('central_db_version')").fetchone()
            lock.execute("SELECT pg_advisory_unlock(%s)", (MERGE_LOCK,))
            assert drawn_meanwhile is not None
            assert waiting.result(timeout=30) > drawn_meanwhile[0]
    finally:
        lock.close()
