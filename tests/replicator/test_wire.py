"""The wire format: cr-sqlite's packed primary keys, exactly as cr-sqlite packs them, and SQLite
values that survive JSON with their type."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import crsqlite
from replicator.wire import Change, pk

sql_values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 127, 128, 255, 256, -1, 2**62, 2**63 - 1, -(2**63)]),
    st.floats(allow_nan=False),
    st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=("Cs",))),
    st.binary(max_size=300),
)


@pytest.fixture(scope="module")
def hub() -> Iterator:
    conn = crsqlite.connect(":memory:")
    yield conn
    crsqlite.close(conn)


@given(values=st.lists(sql_values, min_size=1, max_size=4))
def test_pack_matches_crsqlite_and_round_trips(hub, values) -> None:
    placeholders = ", ".join("?" for _ in values)
    expected = hub.execute(f"SELECT crsql_pack_columns({placeholders})", values).fetchone()[0]
    assert pk.pack(values) == expected
    assert pk.unpack(expected) == tuple(values)
    assert [type(v) for v in pk.unpack(expected)] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("blob", "problem"),
    [
        (b"", "empty"),
        (bytes.fromhex("0109"), "truncated"),
        (bytes.fromhex("01090102"), "trailing"),
        (bytes.fromhex("0107"), "unknown column type"),
        (bytes.fromhex("010B02ffff"), "not UTF-8"),
        (bytes.fromhex("014901"), "integer of 9 bytes"),
    ],
)
def test_malformed_keys_are_rejected_with_a_reason(blob: bytes, problem: str) -> None:
    with pytest.raises(pk.PkError, match=problem):
        pk.unpack(blob)


@given(value=sql_values)
def test_values_keep_their_sqlite_type_through_json(value) -> None:
    change = Change(
        table="t",
        pk=pk.pack(["k"]),
        cid="c",
        val=value,
        col_version=1,
        db_version=1,
        site_id=bytes(16),
        cl=1,
        seq=0,
    )
    back = Change.model_validate_json(change.model_dump_json())
    assert type(back.val) is type(value)
    assert back.val == value
    if isinstance(value, float):
        assert back.val.hex() == value.hex()  # -0.0 stays -0.0


def test_bad_wire_values_are_refused() -> None:
    base = Change(
        table="t",
        pk=b"\x01\x01",
        cid="c",
        col_version=1,
        db_version=1,
        site_id=bytes(16),
        cl=1,
        seq=0,
    ).model_dump(mode="json")
    for bad in (["i", 2**63], ["r", "nonsense"], ["b", "***"], ["x", 1], ["i"], [], True):
        with pytest.raises(ValueError):
            Change.model_validate({**base, "val": bad})
