"""Values the typed mirror cannot hold, pushed over real HTTP by a real cr-sqlite install: never a
500 (which the replicator would retry forever). A value that does not fit its column's type is
NULL there while crr_clock keeps it exactly; what no table can hold (a NUL in a key or a column
name) is refused as the install's bad input, and nothing changes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, text

from central.sqlvalues import from_clock
from engine.operations import OperationLog
from replicator import link
from replicator.loop import sync_once
from replicator.wire import pk
from tests.central.test_sync_api import _create_user, _mirror, _pending_push, _push


@pytest.fixture
def mina(make_db, central_url: str):
    _create_user(central_url)
    db = make_db("mina")
    token = link.enroll(db, central_url, "mina", "mina-password").token
    return db, token


def _stored(engine: Engine, table: str, column: str, key: str) -> tuple[object, object]:
    """(the mirror's typed value, the exact value in crr_clock) of one cell."""
    with engine.connect() as conn:
        typed = conn.execute(
            text(f'SELECT "{column}" FROM {table} WHERE id = :k'), {"k": key}
        ).scalar_one()
        clock = conn.execute(
            text(
                "SELECT vtype, vint, vreal, vbytes FROM crr_clock"
                " WHERE tbl = :t AND pk = :pk AND cid = :c"
            ),
            {"t": table, "pk": pk.pack([key]), "c": column},
        ).one()
    return typed, from_clock(*clock)


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("column", "value", "typed"),
    [
        ("parameters", '{"ratio": 1e400}', None),  # a double overflows to infinity
        ("parameters", '{"ratio": [-1E400]}', None),
        ("parameters", '{"name": "\\ud800"}', None),  # an escaped lone surrogate
        ("parameters", '{"name": "\\udcff.txt"}', None),  # a file name with an undecodable byte
        ("parameters", '{"a": "\\u0000"}', None),  # jsonb holds no NUL
        ("parameters", DEEP, None),  # nested deeper than a parser recurses
        ("parameters", '{"a": "\\\\u0000", "b": 1.5}', {"a": "\\u0000", "b": 1.5}),
        ("started", "2024-01-01T00:00:00+20:00", datetime(2023, 12, 31, 4, tzinfo=UTC)),
        ("started", "2024-06-01T12:00:00-23:59", datetime(2024, 6, 2, 11, 59, tzinfo=UTC)),
        ("started", "9999-12-31T23:00:00-05:00", None),  # past year 9999 in UTC
        ("started", "0001-01-01T00:00:00+01:00", None),  # before year 1 in UTC
        ("error", "bad\x00byte", "badbyte"),  # text keeps all but the NUL
    ],
)
def test_values_the_mirror_cannot_hold_are_null_there_and_exact_in_the_clock(
    mina, central_db, column: str, value: str, typed: object
) -> None:
    db, _ = mina
    op = OperationLog(db).start(tool="text_stats", function="count", username="mina")
    with db.write() as conn:
        conn.execute(f"UPDATE operations SET {column} = ? WHERE id = ?", (value, op))
    report = sync_once(db)  # over HTTP, through the replicator; it raises on any refusal
    assert report.pushed > 0
    assert _stored(central_db, "operations", column, op) == (typed, value)
    assert sync_once(db).pushed == 0  # acknowledged: nothing is sent again


def test_a_conflict_over_text_with_a_nul_is_logged(make_db, central_url, central_db) -> None:
    _create_user(central_url)
    a, b = make_db("a"), make_db("b")
    for db in (a, b):
        link.enroll(db, central_url, "mina", "mina-password")
    with a.write() as conn:
        conn.execute("INSERT INTO glossary_terms (id, translation) VALUES ('t0', 'sword')")
    sync_once(a)
    sync_once(b)
    for db, value in ((a, "blade\x00"), (b, "sabre\x00x")):
        with db.write() as conn:
            conn.execute("UPDATE glossary_terms SET translation = ? WHERE id = 't0'", (value,))
        sync_once(db)
    with central_db.connect() as conn:
        logged = conn.execute(
            text("SELECT incoming_value, existing_value FROM merge_conflicts WHERE cid = :c"),
            {"c": "translation"},
        ).one()
        mirrored = conn.execute(text("SELECT translation FROM glossary_terms")).scalar_one()
    assert tuple(logged) == ("sabrex", "blade")  # shown as the mirror shows text: NUL left out
    assert mirrored == "sabrex"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pk", base64.b64encode(pk.pack(["a\x00b"])).decode(), "primary key PostgreSQL"),
        ("cid", "note\x00", "column name PostgreSQL cannot hold"),
    ],
)
def test_keys_and_column_names_with_a_nul_are_refused(
    mina, central_url, central_db, field: str, value: str, message: str
) -> None:
    db, token = mina
    with db.write() as conn:
        conn.execute("INSERT INTO glossary_terms (id, source) VALUES ('t1', '검')")
    body = _pending_push(db)
    body["changes"][0][field] = value
    before = _mirror(central_db)
    response = _push(central_url, token, body)
    assert (response.status_code, response.json()["code"]) == (400, "bad_changeset")
    assert message in response.json()["detail"]
    assert _mirror(central_db) == before


def test_a_pull_cursor_past_64_bits_is_refused(mina, central_url) -> None:
    _, token = mina
    response = httpx.get(
        f"{central_url}/api/sync/pull",
        params={"since": str(2**63)},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")
    assert json.loads(response.text)["detail"].startswith("query.since")
