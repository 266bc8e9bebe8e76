"""A pull's JSON as central sends it: each change encoded once per process and reused, yet
byte for byte what the wire model encodes, for every kind of value, and never stale."""

from __future__ import annotations

import json
import os

from central import pull
from central.pull import CACHED_VALUE_BYTES, PullPage
from central.sqlvalues import clock_parts
from replicator.wire import PullResponse, SqlValue, pk

SITE = os.urandom(16)

VALUES: list[SqlValue] = [
    0,
    -(2**63),
    2**63 - 1,
    1.5,
    -0.0,
    float("inf"),
    float("-inf"),
    "",
    'quote " backslash \\ newline \n tab \t',
    "검 sword ✓ \U0001f600",
    b"",
    b"\x00\xff binary",
    None,
]


def _row(value: SqlValue, db_version: int = 7, cid: str = "translation") -> tuple:
    """A row shaped as the pull's statement returns it (columns in change_from_clock's order,
    then page_rows)."""
    vtype, _, vint, vreal, vbytes = clock_parts(value)
    key = pk.pack([f"term-{db_version}"])
    return ("glossary_terms", key, cid, vtype, vint, vreal, vbytes, 3, db_version, SITE, 1, 0, 1)


def _page(rows: list[tuple], more: bool = False) -> PullPage:
    return PullPage(rows, rows[-1][8] if rows else 5, more, "epoch-1")


def test_a_pulls_json_is_the_wire_models_for_every_kind_of_value() -> None:
    rows = [_row(v, db_version=n + 1, cid=f"c{n}") for n, v in enumerate(VALUES)]
    for page in (_page(rows), _page(rows, more=True), _page([])):
        sent = page.json()
        assert json.loads(sent) == json.loads(page.response().model_dump_json())
        assert PullResponse.model_validate_json(sent) == page.response()


def test_a_change_is_encoded_once_and_a_changed_cell_anew() -> None:
    pull._encoded.cache_clear()
    first = _page([_row("sword"), _row("blade", cid="note")])
    assert first.json() == first.json()
    assert pull._encoded.cache_info().misses == 2 and pull._encoded.cache_info().hits == 2
    # the same cell written again (another value, version and site) is another change
    again = _page([_row("sword, edited", db_version=8)])
    served = PullResponse.model_validate_json(again.json())
    assert [c.val for c in served.changes] == ["sword, edited"]
    assert pull._encoded.cache_info().misses == 3


def test_large_values_are_encoded_each_time_and_not_kept() -> None:
    pull._encoded.cache_clear()
    large = _page([_row(b"x" * (CACHED_VALUE_BYTES + 1)), _row("y" * (CACHED_VALUE_BYTES + 1))])
    assert PullResponse.model_validate_json(large.json()) == large.response()
    assert pull._encoded.cache_info().currsize == 0
