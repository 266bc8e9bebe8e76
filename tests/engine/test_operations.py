"""The operation log as the Tasks history shows it."""

from __future__ import annotations

import json
from pathlib import Path

from engine.operations import MAX_NAMES, OperationLog, RunState
from engine.runtime import EngineRuntime
from engine.settings import EngineSettings
from engine.tasks import TaskManager


def test_a_run_is_one_row_with_names_never_paths_or_content(make_db, tmp_path: Path) -> None:
    secret = tmp_path / "private folder" / "quests_ko.txt"
    secret.parent.mkdir()
    secret.write_text("비밀 퀘스트\n", encoding="utf-8")
    report = tmp_path / "report.tsv"
    ops = OperationLog(make_db())
    tasks = TaskManager(ops, tmp_path, max_workers=1)
    try:
        submitted = tasks.submit("text_stats", [secret], {"report": str(report)}, username="mina")
        task = tasks.wait(submitted.id)
    finally:
        tasks.shutdown()
    [row] = ops.recent()
    assert task.state == row["status"] == "succeeded"
    assert json.loads(row["input_files"]) == ["quests_ko.txt"]
    assert json.loads(row["output_files"]) == ["report.tsv"]
    assert (row["rows_in"], row["rows_out"], row["username"]) == (1, 1, "mina")
    assert row["duration"] >= 0 and row["finished"] >= row["started"]
    assert report.read_text(encoding="utf-8").splitlines()[1] == "quests_ko.txt\t1\t1\t7"
    assert not list(report.parent.glob(".report.tsv.*"))  # no temporary file left behind


def test_runs_cut_off_by_a_crash_show_as_interrupted_after_restart(tmp_path: Path) -> None:
    settings = EngineSettings(data_dir=tmp_path)
    runtime = EngineRuntime(settings)
    op = OperationLog(runtime.db).start(tool="text_stats", function="count", username="mina")
    runtime.close("killed")  # the run never finished
    runtime = EngineRuntime(settings)
    try:
        [row] = [r for r in OperationLog(runtime.db).recent() if r["id"] == op]
        assert row["status"] == "interrupted"
        assert "stopped while this run was in progress" in row["error"]
    finally:
        runtime.close()


def test_history_filters_by_status_tool_and_text(make_db) -> None:
    ops = OperationLog(make_db())
    rows = [
        ("text_stats", "succeeded", ["quests_ko.txt"], None),
        ("xls_transfer", "failed", ["ui_100%_ko.xlsx"], "sheet 'UI', row 7: empty source"),
        ("text_stats", "cancelled", ["items_ko.txt"], "cancelled by the user"),
    ]
    ids = []
    for tool, status, inputs, error in rows:
        op = ops.start(tool=tool, function="f", username="mina", input_files=inputs)
        ops.finish(op, status=status, error=error, duration=1.25)
        ids.append(op)

    def found(**filters: str) -> list[str]:
        return [r["id"] for r in ops.search(**filters)]

    assert found(status="failed") == [ids[1]]
    assert sorted(found(tool="text_stats")) == sorted([ids[0], ids[2]])
    assert found(text="row 7") == [ids[1]]  # the error
    assert found(text="100%") == [ids[1]]  # % is a character here, not a wildcard
    assert found(text="items_ko") == [ids[2]] and found(text="ui_1") == [ids[1]]
    assert found(tool="text_stats", text="quests") == [ids[0]]
    assert found(text="nothing like it") == []
    assert ops.get(ids[0])["duration"] == 1.25  # the worker's run time, when it is given
    assert ops.get("no-such-id") is None


def test_a_run_over_many_files_records_the_first_names_and_how_many_more(make_db) -> None:
    # 40,000 names would pass the 1 MiB a synced value may hold: the run could not even start.
    files = [f"chapter_{n:05d}_quest_dialogue_strings_ko.txt" for n in range(40_000)]
    ops = OperationLog(make_db())
    op = ops.start(tool="text_stats", function="count", username="mina", input_files=files)
    ops.finish(op, status=RunState.SUCCEEDED, output_files=files)
    [row] = ops.recent()
    for column in ("input_files", "output_files"):
        names = json.loads(row[column])
        assert names[:MAX_NAMES] == files[:MAX_NAMES]
        assert names[MAX_NAMES:] == [f"(and {40_000 - MAX_NAMES:,} more)"]
