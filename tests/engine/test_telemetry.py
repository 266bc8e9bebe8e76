"""The engine's events for the admins (real engine.db): what each writer records, once per change
of sync state, with a traceback digest for a broken tool, and nothing while diagnostics are
off. Also the local sync log."""

from __future__ import annotations

import json
import traceback
from pathlib import Path

from engine import sync_state, telemetry
from engine.operations import OperationLog
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from engine.sync_state import FailureKind, SyncFailure


def _events(db) -> list[dict]:
    with db.read() as conn:
        cursor = conn.execute(
            "SELECT install_id, level, component, message, data, value FROM events ORDER BY rowid"
        )
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _broken() -> str:
    def inner() -> None:
        raise KeyError("column 'B'")

    try:
        inner()
    except KeyError as exc:
        return "".join(traceback.format_exception(exc))
    raise AssertionError("unreachable")


def test_a_traceback_digest_names_where_it_broke_and_groups_across_builds() -> None:
    text = _broken()
    digest = telemetry.digest(text)
    assert digest["error"] == "KeyError: \"column 'B'\""
    assert digest["frames"].startswith("test_telemetry.py:inner line ")
    moved = text.replace("line ", "line 1")  # the same bug, other line numbers
    assert telemetry.digest(moved)["hash"] == digest["hash"] and len(digest["hash"]) == 12
    assert telemetry.digest("ValueError: x")["hash"] != digest["hash"]


def test_sync_failures_are_events_once_per_change_of_state(make_db) -> None:
    db = make_db()
    offline = SyncFailure(FailureKind.UNREACHABLE, "connection refused")
    disabled = SyncFailure(FailureKind.ACCOUNT_DISABLED, "mina is disabled", "account_disabled")
    with db.write() as conn:
        sync_state.record_failure(conn, SyncFailure(FailureKind.NOT_ENROLLED, "enroll first"))
        for failure in (offline, offline, offline, disabled, disabled):
            sync_state.record_failure(conn, failure)
        sync_state.record_success(conn)
        sync_state.record_success(conn)
    events = _events(db)
    assert [(e["level"], e["message"]) for e in events] == [
        ("info", "sync failed: unreachable"),
        ("warning", "sync failed: account_disabled (account_disabled)"),
        ("info", "sync works again after account_disabled"),
    ]
    assert json.loads(events[1]["data"]) == {
        "kind": "account_disabled",
        "code": "account_disabled",
        "detail": "mina is disabled",
    }
    assert {e["install_id"] for e in events} == {db.install_id}


def test_a_failed_run_and_a_runs_warnings_are_events(make_db) -> None:
    db = make_db()
    ops = OperationLog(db)
    broke = ops.start(tool="xls_transfer", function="transfer_excel", username="mina")
    ops.finish(broke, status="failed", error="KeyError: column 'B'", traceback=_broken())
    refused = ops.start(tool="text_stats", function="count", username="mina")
    ops.finish(refused, status="failed", error="file not found: a.txt")
    warned = ops.start(tool="quick_search", function="term_check", username="mina")
    ops.finish(warned, status="succeeded", warnings=[f"row {n}: no match" for n in range(25)])
    ops.finish(ops.start(tool="text_stats", function="count", username="mina"), status="cancelled")
    events = _events(db)
    assert [(e["level"], e["component"], e["message"]) for e in events] == [
        ("error", "tool.xls_transfer", "KeyError: column 'B'"),
        ("warning", "tool.text_stats", "file not found: a.txt"),
        ("warning", "tool.quick_search", "25 warning(s): row 0: no match"),
    ]
    data = [json.loads(e["data"]) for e in events]
    assert data[0]["operation_id"] == broke and data[0]["function"] == "transfer_excel"
    assert data[0]["traceback"]["frames"].startswith("test_telemetry.py:inner")
    assert "traceback" not in data[1]
    assert len(data[2]["warnings"]) == 20 and events[2]["value"] == 25


def test_app_start_and_stop_are_events(tmp_path: Path) -> None:
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path))
    runtime.close("window closed")
    runtime = EngineRuntime(EngineSettings(data_dir=tmp_path))
    try:
        events = _events(runtime.db)
    finally:
        runtime.close()
    assert [(e["component"], e["message"]) for e in events] == [
        ("app", "started"),
        ("app", "stopped"),
        ("app", "started"),
    ]
    started = json.loads(events[0]["data"])
    assert started["version"] == events[0]["value"] and started["os"]
    assert json.loads(events[1]["data"]) == {"reason": "window closed"}
    assert isinstance(events[1]["value"], float)


def test_nothing_is_recorded_while_diagnostics_are_off(make_db) -> None:
    db = make_db()
    with db.write() as conn:
        assert telemetry.enabled(conn)
        telemetry.set_enabled(conn, False)
        assert telemetry.record(conn, telemetry.Level.ERROR, "ui", "boom") is None
        sync_state.record_failure(conn, SyncFailure(FailureKind.REVOKED, "revoked", "revoked"))
    ops = OperationLog(db)
    ops.finish(ops.start(tool="t", function="f", username=""), status="failed", error="x")
    assert _events(db) == []
    with db.write() as conn:
        telemetry.set_enabled(conn, True)
        assert telemetry.record(conn, telemetry.Level.ERROR, "ui", "boom")
    assert len(_events(db)) == 1


def test_the_sync_log_keeps_the_latest_rounds_and_groups_alike_ones(make_db) -> None:
    db = make_db()
    offline = SyncFailure(FailureKind.UNREACHABLE, "connection refused")
    with db.write() as conn:
        sync_state.log_round(conn, 0.5, pushed=12, pulled=3)
        for _ in range(3):
            sync_state.log_round(conn, 0.01, pushed=0, pulled=0)
        for _ in range(4):
            sync_state.log_round(conn, 0.2, failure=offline)
        sync_state.log_round(conn, 0.3, pushed=0, pulled=5)
        log = sync_state.sync_log(conn)
    assert [(r.rounds, r.pushed, r.pulled, r.error_kind) for r in log] == [
        (1, 0, 5, None),
        (4, None, None, "unreachable"),
        (3, 0, 0, None),
        (1, 12, 3, None),
    ]
    assert log[1].error == "connection refused" and log[1].started < log[1].ended
    assert log[3].duration == 0.5
    with db.write() as conn:
        for n in range(60):
            sync_state.log_round(conn, 0.1, pushed=n + 1, pulled=0)
        log = sync_state.sync_log(conn)
        count = conn.execute("SELECT count(*) FROM sync_log").fetchone()[0]
    assert count == len(log) == sync_state.LOG_ROWS
    assert [r.pushed for r in log[:2]] == [60, 59]
