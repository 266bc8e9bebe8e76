"""Pulled changes that cr-sqlite hands back as the puller's own: the echo of a re-created row.

When a pull re-creates a deleted row without all of its cells (the origin's re-creation and its
later edit of a cell arrive at central in different pushes, and another install pulls between
them), cr-sqlite keeps that install's own earlier value of a missing cell at col_version 0, still
under its own site id but at the pull's db_version, so its next sync pushes the value back.
Central holds the same cell at col_version 0 from the same re-creation (the echo changes
nothing) or the origin's edit above it (the echo loses, and is not logged as a conflict: no one
edited anything): the mirror's rows, clocks and conflict log stay as they were. Two installs and
central over real HTTP, with real cr-sqlite."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, text

from engine import sync_state
from replicator import link
from replicator.loop import sync_once
from tests.central.test_sync_api import _create_user, _push, _requests

COLUMNS = "source, translation, game, language, note"


@pytest.fixture
def pair(make_db, central_url: str):
    """mina's install (the origin) and joon's (the puller), enrolled; (db, token) each."""
    installs = []
    for name in ("mina", "joon"):
        _create_user(central_url, name, f"{name}-password")
        db = make_db(name)
        installs.append((db, link.enroll(db, central_url, name, f"{name}-password").token))
    return installs


def _write(db, sql: str, *args) -> None:
    with db.write() as conn:
        conn.execute(sql, args)


def _mirror(engine: Engine) -> tuple[list, list, int]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, {COLUMNS} FROM glossary_terms ORDER BY id")).all()
        clocks = conn.execute(
            text(
                "SELECT pk, cid, vtype, vbytes, col_version, site_id, db_version FROM crr_clock"
                " WHERE tbl = 'glossary_terms' ORDER BY pk, cid"
            )
        ).all()
        conflicts = conn.execute(
            text(
                "SELECT cid, incoming_won, incoming_col_version, incoming_site_id FROM"
                " merge_conflicts ORDER BY id"
            )
        ).all()
    return [tuple(r) for r in rows], [tuple(r) for r in clocks], [tuple(r) for r in conflicts]


def _term(db) -> list:
    with db.read() as conn:
        return conn.execute(f"SELECT id, {COLUMNS} FROM glossary_terms ORDER BY id").fetchall()


def _echo(db) -> list[tuple]:
    """What ``db`` would push now: (table, column, col_version, under its own site id)."""
    with db.read() as conn:
        acked = sync_state.acked_db_version(conn)
    return [
        (c.table, c.cid, c.col_version, c.site_id == db.site_id)
        for request in _requests(db, acked=acked)
        for c in request.changes
    ]


@pytest.mark.parametrize("edit_arrives", ["before the echo", "after the echo"])
def test_an_echoed_re_creation_changes_nothing_in_the_mirror(
    pair, central_url, central_db, edit_arrives
):
    (origin, origin_token), (puller, _) = pair
    _write(
        origin,
        f"INSERT INTO glossary_terms (id, {COLUMNS}) VALUES ('t', '검', 'sword', 'g', 'en', '')",
    )
    sync_once(origin)
    sync_once(puller)
    _write(puller, "UPDATE glossary_terms SET note = 'joon' WHERE id = 't'")  # the puller's cell
    sync_once(puller)
    sync_once(origin)
    # the origin deletes the term, re-creates it and edits its note, all before its next sync
    _write(origin, "DELETE FROM glossary_terms WHERE id = 't'")
    _write(
        origin,
        f"INSERT INTO glossary_terms (id, {COLUMNS}) VALUES ('t', '검', 'blade', 'g', 'en', 'n2')",
    )
    _write(origin, "UPDATE glossary_terms SET note = 'n3' WHERE id = 't'")
    # ... and that sync is cut before the edit; the puller syncs in between
    with origin.read() as conn:
        acked = sync_state.acked_db_version(conn)
    *recreation, edit = _requests(origin, acked=acked, target=1)
    for request in recreation:
        sent = _push(central_url, origin_token, json.loads(request.model_dump_json()))
        assert sent.status_code == 200, sent.text
    sync_once(puller)
    assert _term(puller) == [("t", "검", "blade", "g", "en", "joon")]  # its own note stays
    if edit_arrives == "before the echo":
        sync_once(origin)
    before = _mirror(central_db)
    # the puller holds its old note as its own change again, and sends it back
    assert _echo(puller) == [("glossary_terms", "note", 0, True)]
    report = sync_once(puller)
    assert report.pushed == 1
    after = _mirror(central_db)
    assert after[:2] == before[:2]  # the mirror's rows and clocks
    # Nor does the conflict log: a lost echo is no one's edit.
    assert after[2] == before[2]
    sync_once(origin)
    sync_once(puller)
    assert _term(puller) == _term(origin) == [("t", "검", "blade", "g", "en", "n3")]
    assert _echo(puller) == []  # sent once; acknowledged like any change
