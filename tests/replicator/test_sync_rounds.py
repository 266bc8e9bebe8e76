"""What a sync round asks central, against a real central over HTTP: a running replicator asks
central's state once, then each round is its push (when something is new) and its pull; when the
state it remembers is out of date, central refuses the push and the round asks again, losing
nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine, text

from engine.operations import OperationLog
from replicator import link
from replicator.client import CentralClient
from replicator.loop import Syncer, sync_once
from tests.central.test_sync_api import _create_user
from tests.waiting import wait_for


class Recording(httpx.BaseTransport):
    """Real HTTP, with every request's path and status kept in order."""

    def __init__(self) -> None:
        self._http = httpx.HTTPTransport()
        self.seen: list[tuple[str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._http.handle_request(request)
        self.seen.append((request.url.path.removeprefix("/api/sync/"), response.status_code))
        return response

    def take(self) -> list[tuple[str, int]]:
        seen, self.seen = self.seen, []
        return seen

    def close(self) -> None:
        self._http.close()


def _client(central: link.CentralLink, recording: Recording) -> CentralClient:
    return CentralClient(central.url, central.token, machine=central.machine, transport=recording)


@pytest.fixture
def mina(make_db, central_url: str):
    _create_user(central_url)
    db = make_db()
    link.enroll(db, central_url, "mina", "mina-password")
    return db


def _run(db) -> None:
    OperationLog(db).start(tool="text_stats", function="count", username="mina")


def _operations(central_db: Engine) -> int:
    with central_db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM operations")).scalar_one()


def _local_version(db) -> int:
    with db.read() as conn:
        return int(conn.execute("SELECT crsql_db_version()").fetchone()[0])


def test_a_round_that_knows_centrals_state_pushes_at_once(mina, central_db: Engine) -> None:
    db, recording = mina, Recording()
    with _client(link.load(db), recording) as client:
        _run(db)
        first = sync_once(db, client)
        assert recording.take() == [("state", 200), ("push", 200), ("pull", 200)]
        _run(db)
        second = sync_once(db, client, first.central)
        assert recording.take() == [("push", 200), ("pull", 200)]
        third = sync_once(db, client, second.central)  # nothing new here
        assert recording.take() == [("pull", 200)]
    assert _operations(central_db) == 2
    assert third.acked_db_version == second.central.acked_db_version == _local_version(db)


def test_a_remembered_state_central_no_longer_has_costs_one_refused_push(
    mina, central_db: Engine
) -> None:
    db, recording = mina, Recording()
    with _client(link.load(db), recording) as client:
        _run(db)
        first = sync_once(db, client)
        for _ in range(3):
            _run(db)
        # As after central's restore from an older backup: what the install remembers central
        # held is past what central holds now.
        stale = first.central.model_copy(update={"acked_db_version": _local_version(db) - 1})
        recording.take()
        report = sync_once(db, client, stale)
        assert recording.take() == [("push", 409), ("state", 200), ("push", 200), ("pull", 200)]
    assert _operations(central_db) == 4  # every run once
    assert report.acked_db_version == _local_version(db)


def test_the_sync_loop_asks_centrals_state_once_and_again_when_the_user_acts(
    mina, central_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, recording = mina, Recording()
    monkeypatch.setattr(link.CentralLink, "client", lambda central: _client(central, recording))
    syncer = Syncer(db, interval=0.05)
    syncer.start()
    try:
        for n in range(1, 4):
            _run(db)
            wait_for(
                lambda: _operations(central_db),
                until=lambda c, n=n: c == n,
                timeout=30,
                what=f"run {n} in the mirror",
            )
        turned = syncer.turns
        wait_for(lambda: syncer.turns, until=lambda t: t >= turned + 5, timeout=30, what="rounds")
        paths = [path for path, _ in recording.seen]
        assert paths.count("state") == 1 and paths[0] == "state"
        assert paths.count("push") == 3 and paths.count("pull") >= 8
        syncer.resume()  # "Sync now": the user acted, so the round asks central afresh
        wait_for(
            lambda: [p for p, _ in recording.seen].count("state"),
            until=lambda n: n == 2,
            timeout=30,
            what="a round that asks central's state",
        )
    finally:
        syncer.stop()
    assert all(status == 200 for _, status in recording.seen)
