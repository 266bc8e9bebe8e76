"""Text statistics: lines, non-empty lines and characters of text files.

A deliberately small built-in tool so every part of the pipeline has a real run to record; the
localization tools proper live beside it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from engine.errors import ToolFailed
from engine.tools.base import Function, Tool, ToolCall, ToolResult
from engine.tools.reports import write_report


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report: Path | None = Field(None, description="Write a TSV report to this file.")


def _count(path: Path) -> tuple[int, int, int]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ToolFailed(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ToolFailed(f"{path}: not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines()
    return len(lines), sum(1 for line in lines if line.strip()), len(text)


def run(call: ToolCall[Params]) -> ToolResult:
    if not call.inputs:
        raise ToolFailed("text_stats needs at least one input file")
    rows = []
    for done, path in enumerate(call.inputs):
        call.progress(done, len(call.inputs), path.name)
        rows.append((path.name, *_count(path)))
    outputs: list[Path] = []
    report = call.params.report
    if report is not None:
        write_report(report, ["file", "lines", "non_empty", "characters"], rows)
        outputs.append(report)
    total_lines = sum(r[1] for r in rows)
    return ToolResult(
        rows_in=total_lines,
        rows_out=len(rows),
        output_files=outputs,
        summary={"files": len(rows), "lines": total_lines, "characters": sum(r[3] for r in rows)},
    )


TOOL = Tool(
    name="text_stats",
    title="Text statistics",
    description="Count lines, non-empty lines and characters of UTF-8 text files.",
    functions=(
        Function(
            name="count",
            title="Count",
            description="Lines, non-empty lines and characters per file; optional TSV report.",
            run=run,
            params=Params,
        ),
    ),
)
