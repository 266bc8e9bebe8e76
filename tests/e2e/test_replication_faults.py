"""Replication under faults, with real processes: central and the replicator killed with SIGKILL
at random moments of a large push (at least 6 kills: when a push ends before that, more is
written and pushed, however fast the machine), and two central processes merging conflicting
pushes at once.
Nothing is lost, nothing is duplicated, nothing is half-applied, and the mirror still equals what
a cr-sqlite hub holds."""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from central.admin_client import session_headers
from central.db import normalize_dsn
from engine.db import Database
from replicator import link
from replicator.loop import sync_once
from shell.processes import Child, free_port
from tests.central.test_merge_matches_crsqlite import _hub_of, _mirror_state_at
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN_PASSWORD = "faults-admin-password"
KILLS_AT_LEAST, KILLS_AT_MOST = 6, 12
KILLS_DEADLINE_S = 900  # bounds a hang only: the kill count decides when the killing ends


def _central(tmp_path: Path, pg_dsn: str, name: str = "central") -> tuple[Child, str]:
    port = free_port()
    child = Child(
        name,
        ["central", "--dsn", pg_dsn, "--port", str(port)],
        tmp_path / f"{name}.log",
        {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": ADMIN_PASSWORD},
    )
    url = f"http://127.0.0.1:{port}"
    child.wait_http(f"{url}/api/health")
    return child, url


def _user(url: str, name: str) -> None:
    r = httpx.post(
        f"{url}/api/admin/users",
        json={"username": name, "password": f"{name}-password"},
        headers=session_headers(url, "admin", ADMIN_PASSWORD),
    )
    assert r.status_code in (201, 409), r.text


def _kill(child: Child) -> None:
    child.process.send_signal(signal.SIGKILL)
    child.process.wait()
    child.stop()


# The push under the kills: ARCHITECTURE.md states these figures (tests/test_docs.py checks them).
TRANSACTIONS, EVENTS_PER_TRANSACTION = 100, 150


def _record_events(db: Database, ids: list[str]) -> None:
    """TRANSACTIONS transactions of EVENTS_PER_TRANSACTION events each."""
    for _ in range(TRANSACTIONS):
        with db.write() as conn:
            for _ in range(EVENTS_PER_TRANSACTION):
                ids.append(str(uuid.uuid4()))
                conn.execute(
                    "INSERT INTO events (id, install_id, level, message, value) VALUES"
                    " (?, ?, 'info', ?, ?)",
                    (ids[-1], db.install_id, f"event {len(ids)}", len(ids) * 0.5),
                )


def _mirrored_events(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM events")).scalar_one()


def test_sigkills_during_a_large_push_lose_and_duplicate_nothing(tmp_path: Path, pg_dsn: str):
    central, url = _central(tmp_path, pg_dsn)
    _user(url, "mina")
    data = tmp_path / "pc"
    db = Database(data / "engine.db")
    link.enroll(db, url, "mina", "mina-password", "pc")
    ids: list[str] = []
    _record_events(db, ids)
    db.close()
    mirror = create_engine(normalize_dsn(pg_dsn), poolclass=NullPool)
    rng = random.Random(20261125)
    kills = 0
    deadline = time.monotonic() + KILLS_DEADLINE_S
    while kills < KILLS_AT_MOST:
        assert time.monotonic() < deadline, f"{kills} kills after {KILLS_DEADLINE_S} s"
        before = _mirrored_events(mirror)
        sync = Child("sync", ["sync", "--once", "--data-dir", str(data)], tmp_path / "sync.log")
        # Kill at a random moment of the push, whatever this machine's speed: mostly soon after
        # the mirror has grown (a merge just committed, the next one under way), sometimes
        # before anything arrived (starting up, connecting, first push in flight).
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0.05, 0.5))
        else:

            def grown_or_ended(sync: Child = sync, before: int = before) -> bool:
                return _mirrored_events(mirror) != before or sync.process.poll() is not None

            wait_for(
                grown_or_ended,
                timeout=60,
                what="the mirror to grow or the sync to end",
                interval=0.02,
                context=sync.tail,
            )
            time.sleep(rng.uniform(0, 0.25))
        if sync.process.poll() is not None:  # it pushed everything before the kill
            sync.stop()
            if kills >= KILLS_AT_LEAST:
                break
            db = Database(data / "engine.db")  # more to push, so the killing can go on
            _record_events(db, ids)
            db.close()
            continue
        victim = rng.choice(["sync", "central"])
        _kill(sync)
        kills += 1
        if victim == "central":
            _kill(central)
            kills += 1
            central, url = _central(tmp_path, pg_dsn, f"central{kills}")
            db = Database(data / "engine.db")
            with db.write() as conn:  # central moved to a new port
                conn.execute("UPDATE settings SET value = ? WHERE key = 'central_url'", (url,))
            db.close()
    finished = Child("sync", ["sync", "--once", "--data-dir", str(data)], tmp_path / "last.log")
    assert finished.process.wait(300) == 0, finished.tail()
    finished.stop()
    central.stop()
    with mirror.connect() as conn:
        rows = conn.execute(text("SELECT id, message, value FROM events")).all()
        parked = conn.execute(text("SELECT count(*) FROM parked_changes")).scalar_one()
    mirror.dispose()
    assert len(rows) == len({r.id for r in rows}) == len(ids)  # every event exactly once
    assert {r.id for r in rows} == set(ids)
    assert all(r.message == f"event {ids.index(r.id) + 1}" for r in rows[:50])
    assert parked == 0


def test_two_central_processes_merging_conflicting_pushes_equal_a_crsqlite_hub(
    tmp_path: Path, pg_dsn: str, make_db
):
    first, url_a = _central(tmp_path, pg_dsn, "central-a")
    second, url_b = _central(tmp_path, pg_dsn, "central-b")
    try:
        names = ["mina", "joon", "sora", "haru"]
        for name in names:
            _user(url_a, name)
        installs = [make_db(name) for name in names]
        for db, name, url in zip(installs, names, [url_a, url_b] * 2, strict=True):
            link.enroll(db, url, name, f"{name}-password", name)
        with installs[0].write() as conn:
            for i in range(200):
                conn.execute(
                    "INSERT INTO glossary_terms (id, source, translation) VALUES (?, ?, ?)",
                    (f"t{i}", f"원문 {i}", "first"),
                )
        sync_once(installs[0])
        for db in installs[1:]:
            sync_once(db)
        rng = random.Random(7)
        for n, db in enumerate(installs):  # offline edits of the same terms on every install
            for _ in range(3):
                with db.write() as conn:
                    for i in rng.sample(range(200), 80):
                        conn.execute(
                            "UPDATE glossary_terms SET translation = ?, note = ? WHERE id = ?",
                            (f"{n}-{rng.random()}", f"note {n} {i}", f"t{i}"),
                        )
            with db.write() as conn:
                conn.execute("DELETE FROM glossary_terms WHERE id = ?", (f"t{n}",))
        barrier = threading.Barrier(len(installs))
        errors: list[BaseException] = []

        def push(db) -> None:
            try:
                barrier.wait()
                sync_once(db)
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=push, args=(db,)) for db in installs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        for db in installs:  # everyone pulls what the others pushed
            sync_once(db)

        hub = _hub_of(make_db("hub"), installs)
        assert _mirror_state_at(pg_dsn) == hub
        hub_rows = hub[0]
        for db in installs:  # and every install converged to the same rows
            with db.read() as conn:
                rows = conn.execute(
                    "SELECT id, source, translation, game, language, note FROM glossary_terms"
                    " ORDER BY id"
                ).fetchall()
            assert [tuple(r) for r in rows] == hub_rows
    finally:
        first.stop()
        second.stop()
