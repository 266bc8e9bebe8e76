"""Exactly once over real HTTP: parts of a transaction stay hidden until all have arrived, replays
change nothing, unknown columns are parked, conflicts are logged, and stale clients are told."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, text

from central.admin_client import session_headers
from engine import sync_state
from engine.migrations import SCHEMA_VERSION
from engine.operations import OperationLog
from engine.sync_state import FailureKind
from replicator import link
from replicator.errors import CentralRejected
from replicator.loop import sync_once
from replicator.wire import Change, PartialVersion, PushRequest, VersionSpan
from tests.central.test_sync_api import _create_user, _push, _requests
from tests.conftest import ADMIN_PASSWORD


def _enroll(make_db, central_url: str, name: str, user: str = "mina"):
    db = make_db(name)
    link.enroll(db, central_url, user, f"{user}-password")
    return db


@pytest.fixture
def mina(make_db, central_url: str):
    _create_user(central_url, "mina", "mina-password")
    db = make_db("mina")
    token = link.enroll(db, central_url, "mina", "mina-password").token
    return db, token


def _send(central_url: str, token: str, request: PushRequest) -> httpx.Response:
    return _push(central_url, token, json.loads(request.model_dump_json()))


def _terms(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM glossary_terms")).scalar_one()


def _insert_terms(db, count: int, prefix: str) -> None:
    with db.write() as conn:
        for i in range(count):
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation) VALUES (?, ?, ?)",
                (f"{prefix}{i}", "검", "sword"),
            )


def test_a_transaction_sent_in_parts_shows_only_when_whole(mina, central_url, central_db):
    db, token = mina
    _insert_terms(db, 1, "small-")  # version 1 (after enrollment's own writes, if any)
    _insert_terms(db, 30, "big-")  # one transaction of 150 changes
    requests = _requests(db, target=40, limit=60)
    # the small version whole, then the big one in parts of at most 60 changes
    assert [len(r.changes) for r in requests] == [60, 60, 35]
    small, big = (v.db_version for v in requests[0].versions)
    state = lambda: httpx.get(  # noqa: E731
        f"{central_url}/api/sync/state", headers={"Authorization": f"Bearer {token}"}
    ).json()
    first = _send(central_url, token, requests[0]).json()
    assert (first["acked_db_version"], first["parked"]) == (small, 55)
    assert _terms(central_db) == 1  # nothing of the big transaction is visible yet
    assert state()["partial"] == {"db_version": big, "next_seq": 55}
    # the replicator restarts here: it resumes after what central holds, not from scratch
    resumed = _requests(
        db, acked=small, partial=PartialVersion(**state()["partial"]), target=40, limit=60
    )
    assert [len(r.changes) for r in resumed] == [60, 35]
    assert _send(central_url, token, resumed[0]).json()["acked_db_version"] == small
    assert _terms(central_db) == 1
    last = _send(central_url, token, resumed[1]).json()
    assert last["acked_db_version"] == big and last["partial"] is None
    assert _terms(central_db) == 31
    with central_db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM parked_changes")).scalar_one() == 0


def test_replayed_batches_change_nothing(mina, central_url, central_db):
    db, token = mina
    _insert_terms(db, 3, "t")
    [old] = _requests(db)
    assert _send(central_url, token, old).status_code == 200
    with db.write() as conn:
        conn.execute("UPDATE glossary_terms SET translation = 'blade' WHERE id = 't0'")
    sync_once(db)

    def snapshot():
        with central_db.connect() as conn:
            return (
                conn.execute(text("SELECT * FROM glossary_terms ORDER BY id")).all(),
                conn.execute(text("SELECT * FROM crr_clock ORDER BY tbl, pk, cid")).all(),
                conn.execute(text("SELECT acked_db_version FROM enrollments")).all(),
            )

    before = snapshot()
    replay = _send(central_url, token, old)  # an attacker (or a proxy) sends it again
    assert replay.status_code == 200 and replay.json()["applied"] == 0
    assert snapshot() == before
    assert dict((r.id, r.translation) for r in before[0])["t0"] == "blade"


def test_cells_of_unknown_columns_are_parked_not_fatal(mina, central_url, central_db):
    db, token = mina
    _insert_terms(db, 1, "t")
    [request] = _requests(db)
    body = json.loads(request.model_dump_json())
    body["schema_version"] = SCHEMA_VERSION + 1  # an install one version ahead of central
    body["changes"][-1]["cid"] = "pronunciation"
    response = _push(central_url, token, body)
    assert response.status_code == 200, response.text
    assert response.json()["parked"] == 1
    assert _terms(central_db) == 1
    with central_db.connect() as conn:
        parked = conn.execute(text("SELECT reason, cid FROM parked_changes")).one()
    assert tuple(parked) == ("unknown_column", "pronunciation")


def test_too_old_installs_are_told_to_update(mina, central_url, central_db):
    db, token = mina
    _insert_terms(db, 1, "t")
    [request] = _requests(db)
    body = json.loads(request.model_dump_json())
    body["schema_version"] = SCHEMA_VERSION - 2
    response = _push(central_url, token, body)
    assert response.status_code == 426
    assert "Update LocaNext" in response.json()["detail"]
    assert _terms(central_db) == 0


def test_expired_tokens_are_refused(mina, central_url, central_db):
    db, _ = mina
    with central_db.begin() as conn:
        conn.execute(
            text("UPDATE enrollments SET expires = :t"), {"t": datetime.now(UTC) - timedelta(1)}
        )
    with pytest.raises(CentralRejected, match="expired; enroll again"):
        sync_once(db)


def test_concurrent_glossary_edits_converge_and_are_logged(make_db, central_url, central_db):
    _create_user(central_url, "mina", "mina-password")
    _create_user(central_url, "joon", "joon-password")
    a = _enroll(make_db, central_url, "a", "mina")
    b = _enroll(make_db, central_url, "b", "joon")
    c = _enroll(make_db, central_url, "c", "mina")
    _insert_terms(a, 1, "t")
    for db in (a, b, c, a):
        sync_once(db)
    edits = {a: ["blade"], b: ["sabre", "katana"], c: ["zweihander"]}  # b edits twice: it wins
    for db, values in edits.items():
        for value in values:
            with db.write() as conn:
                conn.execute("UPDATE glossary_terms SET translation = ? WHERE id = 't0'", (value,))
    for db in (a, b, c, a, b, c):
        sync_once(db)
    for db in (a, b, c):
        with db.read() as conn:
            assert conn.execute("SELECT translation FROM glossary_terms").fetchone()[0] == "katana"
    with central_db.connect() as conn:
        assert conn.execute(text("SELECT translation FROM glossary_terms")).scalar_one() == "katana"
        log = conn.execute(
            text(
                "SELECT rule, incoming_won, incoming_value, existing_value,"
                " incoming_site_id, existing_site_id FROM merge_conflicts ORDER BY id"
            )
        ).all()
    assert log, "conflicts must be logged"
    assert {r.rule for r in log} == {"col_version"}
    # b's two edits beat a's one; c's one edit then loses to them
    assert {tuple(r[:4]) for r in log} == {
        ("col_version", True, "katana", "blade"),
        ("col_version", False, "zweihander", "katana"),
    }
    assert all(r.incoming_site_id != r.existing_site_id for r in log)


def test_admins_read_the_conflict_log(make_db, central_url, central_db):
    _create_user(central_url, "mina", "mina-password")
    a = _enroll(make_db, central_url, "a", "mina")
    b = _enroll(make_db, central_url, "b", "mina")
    _insert_terms(a, 1, "t")
    sync_once(a)
    sync_once(b)
    for db, value in ((a, "blade"), (b, "sabre")):
        with db.write() as conn:
            conn.execute("UPDATE glossary_terms SET translation = ? WHERE id = 't0'", (value,))
        sync_once(db)
    response = httpx.get(
        f"{central_url}/api/admin/conflicts",
        headers=session_headers(central_url, "admin", ADMIN_PASSWORD),
    )
    assert response.status_code == 200
    [entry] = response.json()
    assert (entry["row_key"], entry["cid"], entry["rule"]) == ("t0", "translation", "value")
    assert (entry["incoming_value"], entry["existing_value"], entry["incoming_won"]) == (
        "sabre",
        "blade",
        True,
    )  # equal edit counts: the larger value wins
    assert entry["incoming_site_id"] == b.install_id
    assert entry["existing_site_id"] == a.install_id
    assert httpx.get(f"{central_url}/api/admin/conflicts").status_code == 401


def test_an_install_told_to_update_says_so_in_its_status(mina, central_url, monkeypatch):
    db, _ = mina
    _insert_terms(db, 1, "t")
    monkeypatch.setattr("replicator.loop.SCHEMA_VERSION", SCHEMA_VERSION - 2)
    with pytest.raises(CentralRejected) as refused:
        sync_once(db)
    assert refused.value.is_update_required()
    with db.read() as conn:
        status = sync_state.status(conn)
    assert status.last_failure.kind is FailureKind.UPDATE_REQUIRED
    assert status.last_failure.code == "update_required"
    assert "Update LocaNext" in status.last_failure.detail
    assert status.pending_changes > 0  # nothing was lost: it waits for the updated app


def test_a_push_that_overtakes_a_lost_one_is_refused(mina, central_url, central_db):
    db, token = mina
    for n in range(3):
        _insert_terms(db, 2, f"v{n}-")
    first, second = _requests(db, target=10, limit=10)[:2]
    too_early = second.model_copy(update={"since": first.versions[-1].db_version})
    refused = _send(central_url, token, too_early)  # the first push never arrived
    assert (refused.status_code, refused.json()["code"]) == (409, "ahead_of_central")
    assert "resume from there" in refused.json()["detail"]
    assert _terms(central_db) == 0
    assert _send(central_url, token, first).status_code == 200
    assert _send(central_url, token, too_early).status_code == 200
    assert _terms(central_db) == 4  # two of the three transactions


def test_an_install_cannot_write_another_installs_rows(make_db, central_url, central_db):
    _create_user(central_url, "mina", "mina-password")
    a = _enroll(make_db, central_url, "a", "mina")
    b = make_db("b")
    token_b = link.enroll(b, central_url, "mina", "mina-password").token
    op = OperationLog(a).start(tool="text_stats", function="count", username="mina")
    sync_once(a)
    with a.read() as conn:
        row = conn.execute(
            'SELECT "table", pk, cid, val, col_version, db_version, site_id, cl, seq'
            " FROM crsql_changes WHERE cid = 'status'"
        ).fetchone()
    forged = Change.from_row(row).model_copy(
        update={"val": "succeeded", "col_version": 9, "site_id": b.site_id, "db_version": 1}
    )
    request = PushRequest(
        site_id=b.site_id,
        schema_version=SCHEMA_VERSION,
        versions=[VersionSpan(db_version=1, count=1, last_seq=forged.seq)],
        changes=[forged],
    )
    response = _send(central_url, token_b, request)
    assert response.status_code == 403
    assert f"operations row '{op}' belongs to another install" in response.json()["detail"]
    with central_db.connect() as conn:
        status = conn.execute(text("SELECT status FROM operations")).scalar_one()
    assert status == "running"
