"""Pulls are cut by size too: a backlog of large shared values comes down in pulls of about
PULL_BYTES of values, whole versions each, over real HTTP from a real central."""

from __future__ import annotations

import secrets

from central.pull import PULL_BYTES
from replicator import link
from replicator.client import CentralClient
from replicator.loop import sync_once
from tests.central.test_sync_api import _create_user

NOTE_CHARS, TERMS = 700_000, 30  # about 21 MB of notes, each term its own central version


def test_a_backlog_of_large_values_comes_down_in_pulls_of_bounded_size(make_db, central_url):
    _create_user(central_url, "mina", "mina-password")
    _create_user(central_url, "joon", "joon-password")
    writer, reader = make_db("mina"), make_db("joon")
    link.enroll(writer, central_url, "mina", "mina-password")
    token = link.enroll(reader, central_url, "joon", "joon-password").token
    notes = {}
    for i in range(TERMS):
        notes[f"t{i:02}"] = secrets.token_hex(NOTE_CHARS // 2)
        with writer.write() as conn:
            conn.execute(
                "INSERT INTO glossary_terms (id, source, translation, note)"
                " VALUES (?, 'a', 'b', ?)",
                (f"t{i:02}", notes[f"t{i:02}"]),
            )
        sync_once(writer)

    received: dict[str, str] = {}
    cursor, pulls = 0, 0
    with CentralClient(central_url, token) as client:
        while True:
            response = client.pull(cursor)
            pulls += 1
            values = [c.val for c in response.changes if isinstance(c.val, str)]
            # never far past the budget: at most one version (one term here) beyond it
            assert sum(len(v) for v in values) < PULL_BYTES + NOTE_CHARS + 1000
            versions = [c.db_version for c in response.changes]
            assert versions == sorted(versions)
            for change in response.changes:
                if change.table == "glossary_terms" and change.cid == "note":
                    assert change.pk not in received, "a change came twice"
                    received[change.pk] = change.val
            cursor = response.cursor
            assert response.epoch  # cut pulls too: a restore is seen mid-backlog
            if not response.more:
                break
    assert pulls >= 3
    assert sorted(received.values()) == sorted(notes.values())  # every note, once
    sync_once(reader)
    with reader.read() as conn:
        pulled = dict(conn.execute("SELECT id, note FROM glossary_terms").fetchall())
    assert pulled == notes
