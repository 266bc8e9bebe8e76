"""No write can queue a change too large to push: engine.db refuses a replicated value over
MAX_VALUE_BYTES with a clear error and keeps nothing of that transaction."""

from __future__ import annotations

import pytest

from engine import local_settings
from engine.db import MAX_KEY_BYTES, MAX_VALUE_BYTES
from engine.errors import ValueTooLarge
from engine.operations import ERROR_CHARS, OperationLog, RunState
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from tests import engine_api


def _add_term(db, term_id: str, note: str) -> None:
    with db.write() as conn:
        conn.execute(
            "INSERT INTO glossary_terms (id, source, translation, note) VALUES (?, 'a', 'b', ?)",
            (term_id, note),
        )


def _state(db) -> tuple[list, int]:
    with db.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM glossary_terms ORDER BY id")]
        return ids, conn.execute("SELECT crsql_db_version()").fetchone()[0]


def test_a_value_over_the_limit_is_refused_and_nothing_of_its_transaction_is_kept(make_db):
    db = make_db()
    _add_term(db, "at-the-limit", "x" * MAX_VALUE_BYTES)
    before = _state(db)
    with pytest.raises(ValueTooLarge) as refused, db.write() as conn:
        conn.execute("UPDATE glossary_terms SET translation = 'changed'")
        conn.execute(
            "INSERT INTO glossary_terms (id, source, translation, note) VALUES (?, 'a', 'b', ?)",
            ("too-large", "x" * (MAX_VALUE_BYTES + 1)),
        )
    assert (refused.value.status, refused.value.code) == (413, "value_too_large")
    assert "glossary_terms.note" in refused.value.detail
    assert f"{MAX_VALUE_BYTES + 1:,} bytes" in refused.value.detail
    assert _state(db) == before
    with db.read() as conn:
        assert conn.execute("SELECT DISTINCT translation FROM glossary_terms").fetchall() == [
            ("b",)
        ]


def test_a_key_over_the_limit_is_refused(make_db):
    db = make_db()
    with pytest.raises(ValueTooLarge) as refused:
        _add_term(db, "k" * (MAX_KEY_BYTES + 1), "note")
    assert "glossary_terms" in refused.value.detail and "key" in refused.value.detail
    assert _state(db)[0] == []
    _add_term(db, "k" * (MAX_KEY_BYTES - 16), "note")  # the packed key adds a few bytes
    assert len(_state(db)[0]) == 1


def test_the_limit_counts_bytes_not_characters(make_db):
    db = make_db()
    korean = "검" * (MAX_VALUE_BYTES // 3 + 1)  # three bytes each in UTF-8
    with pytest.raises(ValueTooLarge):
        _add_term(db, "korean", korean)
    _add_term(db, "korean", korean[: MAX_VALUE_BYTES // 3])
    assert _state(db)[0] == ["korean"]


def test_local_tables_are_not_limited(make_db):
    db = make_db()
    with db.write() as conn:  # settings never leave this PC
        local_settings.put(conn, "large", "x" * (MAX_VALUE_BYTES + 1))
    with db.read() as conn:
        assert len(local_settings.get(conn, "large")) == MAX_VALUE_BYTES + 1


def test_a_failed_run_with_a_huge_message_is_still_recorded(make_db):
    db = make_db()
    ops = OperationLog(db)
    op = ops.start(tool="text_stats", function="count", username="")
    ops.finish(op, status=RunState.FAILED, error="bad row\n" * MAX_VALUE_BYTES)
    [row] = [r for r in ops.recent() if r["id"] == op]
    assert row["status"] == "failed"
    assert len(row["error"]) == ERROR_CHARS


def test_the_engine_api_answers_a_too_large_value_with_its_code(tmp_path):
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path / "app", username="mina"))
    try:
        url = runtime.serve(with_ui=False)
        with engine_api.client(runtime.settings.data_dir) as api:
            body = {
                "tool": "quick_search",
                "function": "search",
                "inputs": [str(tmp_path)],
                "params": {"dictionary": "d", "query": "x" * (MAX_VALUE_BYTES + 1)},
            }
            refused = api.post(f"{url}/api/tasks", json=body)
            assert (refused.status_code, refused.json()["code"]) == (413, "value_too_large")
            assert "operations.parameters" in refused.json()["detail"]
            assert api.get(f"{url}/api/health").json()["status"] == "ok"
        assert OperationLog(runtime.db).recent() == []  # nothing recorded of the refused run
    finally:
        runtime.close()
