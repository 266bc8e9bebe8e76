"""A finished run shown as the tool's own view: its figures, its warnings, and each report as a
grid paged and sorted on the server (the report is read once; more pages never re-run the tool).

* Quick Search's search: the hits with source, translation, reference, StringID and file;
* XLS Transfer's transfers: the fills to review (fuzzy and line-by-line fills, fills held back or
  marked because their placeholders differ or they are too long for a cell, matches that chose
  among several translations), the matched dictionary source beside the target source with their
  differences marked, the score, the problem and the alternatives (the full report one click
  away; reports of older versions, without ``needs_review``, list their fuzzy fills);
* every check and other report: its table, as written.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from nicegui import run, ui

from engine.context import EngineContext
from engine.tasks.report_rows import ReportPage, is_report
from engine.ui.grid import GridState, ServerGrid
from engine.ui.layout import output_files

# Summary entries shown elsewhere (the grid pages the whole report) or too long for a figure.
HIDDEN_SUMMARY = {"results", "top", "page", "page_size", "pages"}
# Column orders for reports whose first columns are not the ones people read first.
SEARCH_ORDER = [
    "source",
    "translation",
    "reference_source",
    "reference_translation",
    "string_id",
    "file",
    "query",
]
# A transfer report's columns, in the order a reviewer reads them.
REVIEW_ORDER = [
    "row",
    "score",
    "source",
    "translation",
    "problem",
    "alternatives",
    "written",
    "missing_tags",
    "extra_placeholders",
    "match",
    "sheet",
]
# The column a transfer report marks its rows to review with (reports of older versions lack it).
NEEDS_REVIEW = "needs_review"
LABELS = {"string_id": "StringID", "reference_source": "Reference source"}
# Names the matched dictionary source may have in a transfer report (newer tool versions).
MATCHED_SOURCE = ("matched_source", "dictionary_source", "match_source")
TRANSFERS = {("xls_transfer", "transfer_excel"), ("xls_transfer", "transfer_txt")}
# Reports shown as grids for one run (a transfer of many files writes one each).
MAX_REPORTS = 5

DIFF_SLOT = r"""
<q-td :props="props" class="lx-mono" style="white-space: pre-wrap">
  <span v-for="(part, i) in props.row.__diff" :key="i"
    :class="part[0] === '-' ? 'lx-diff-del' : (part[0] === '+' ? 'lx-diff-ins' : '')"
    :title="part[0] === '-' ? 'only in the dictionary source' :
      (part[0] === '+' ? 'only in the target source' : '')">{{ part[1] }}</span>
</q-td>
"""


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " ").capitalize())


def diff_parts(matched: str, target: str) -> list[list[str]]:
    """The matched source against the target source as [("=" | "-" | "+", text)], character by
    character: "-" only in the matched one, "+" only in the target."""
    parts: list[list[str]] = []
    matcher = difflib.SequenceMatcher(a=matched, b=target, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(["=", matched[a1:a2]])
            continue
        if a2 > a1:
            parts.append(["-", matched[a1:a2]])
        if b2 > b1:
            parts.append(["+", target[b1:b2]])
    return parts


def summary_figures(summary: dict[str, Any]) -> list[tuple[str, str]]:
    figures = []
    for key, value in summary.items():
        if key in HIDDEN_SUMMARY or isinstance(value, (dict, list)):
            continue
        if isinstance(value, float):
            value = f"{value:,.4g}"
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        figures.append((key.replace("_", " "), "—" if value is None else str(value)))
    return figures


def _columns(header: list[str], order: list[str] | None) -> list[dict[str, Any]]:
    names = [c for c in (order or []) if c in header] + [
        c for c in header if c not in (order or [])
    ]
    return [
        {"name": c, "label": label(c), "field": c, "sortable": True, "align": "left"} for c in names
    ]


class ReportGrid:
    """One report of a run as a grid, with a filter box."""

    def __init__(
        self,
        ctx: EngineContext,
        path: Path,
        testid: str,
        header: list[str],
        *,
        order: list[str] | None = None,
        review: bool = False,
    ) -> None:
        """``header``: the report's columns (reading them also loads the report, off the event
        loop, see :func:`report_box`)."""
        self._ctx = ctx
        self._path = path
        self._order = order
        self._review = review
        self._matched = next((c for c in MATCHED_SOURCE if c in header), None)
        self._to_review = {NEEDS_REVIEW: "yes"} if NEEDS_REVIEW in header else {"match": "fuzzy"}
        what = "those to review" if NEEDS_REVIEW in header else "fuzzy fills"
        with ui.row().classes("items-end gap-4 w-full"):
            self._filter = (
                ui.input("Filter rows", on_change=self._refilter)
                .props(f"clearable debounce=250 data-testid={testid}-filter")
                .classes("min-w-72")
            )
            self._all = ui.checkbox(f"All rows (not only {what})", on_change=self._refilter)
            self._all.props(f"data-testid={testid}-all").set_visibility(review)
        columns = _columns(header, order)
        if review and self._matched:
            diff = {
                "name": "__diff",
                "label": "Matched source → target source",
                "field": "__diff",
                "align": "left",
            }
            columns.insert(2, diff)  # after the row and the score
        empty = (
            "Nothing to review: every filled row matched exactly and was written."
            if review
            else "No rows."
        )
        self.grid = ServerGrid(
            columns,
            self._fetch,
            testid=testid,
            row_key="__row",
            state=GridState(page_size=25),
            empty=empty,
        )
        if review and self._matched:
            self.grid.table.add_slot("body-cell-__diff", DIFF_SLOT)
        if review and not self._matched:
            ui.label(
                "This report does not name the dictionary source each fill matched (made by an "
                "older version): compare the target source with the score."
            ).classes("text-caption lx-muted").props(f"data-testid={testid}-no-matched")
        self.grid.load_now()

    def _read(self, offset: int, limit: int, sort: str | None, descending: bool) -> ReportPage:
        fuzzy_only = self._review and not self._all.value
        return self._ctx.reports.page(
            self._path,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
            text=self._filter.value or "",
            where=self._to_review if fuzzy_only else None,
        )

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> tuple[list[dict[str, Any]], int]:
        page = self._read(offset, limit, sort, descending)
        rows = []
        for n, row in enumerate(page.rows):
            item: dict[str, Any] = {**row, "__row": page.offset + n}
            if self._matched:
                item["__diff"] = diff_parts(row.get(self._matched, ""), row.get("source", ""))
            rows.append(item)
        return rows, page.total

    async def _refilter(self) -> None:
        await self.grid.load(first_page=True)


def report_box(
    ctx: EngineContext, path: Path, testid: str, title: str, review: bool, order: list[str] | None
) -> None:
    """A report's grid, built once the report has been read in a worker thread (a spinner says
    so meanwhile; a report that cannot be read says why)."""
    with ui.column().classes("w-full gap-2").props(f"data-testid={testid}-box") as box:
        ui.label(title).classes("text-subtitle1 text-weight-bold")
        with ui.row().classes("items-center gap-2") as waiting:
            ui.spinner(size="sm")
            ui.label(f"Reading {path.name}...").classes("lx-muted")

    async def build() -> None:
        problem: Exception | None = None
        try:
            first = await run.io_bound(ctx.reports.page, path, limit=1)
        except Exception as exc:  # a moved or unreadable report: say so, keep the rest
            first, problem = None, exc
        if box.is_deleted:
            return
        waiting.delete()
        with box:
            if first is None:
                ui.label(f"The report cannot be shown: {problem}").classes("text-negative").props(
                    f"data-testid={testid}-error"
                )
                return
            ReportGrid(ctx, path, testid, first.columns, order=order, review=review)

    ui.timer(0.0, build, once=True)


class ResultView:
    """Figures, warnings, report grids and output files of one finished run."""

    def __init__(
        self,
        ctx: EngineContext,
        *,
        task_id: str,
        tool: str,
        function: str,
        summary: dict[str, Any],
        outputs: list[str],
        warnings: list[str],
    ) -> None:
        figures = summary_figures(summary)
        with ui.row().classes("gap-2 items-center").props("data-testid=task-summary"):
            for name, value in figures:
                ui.chip(f"{name}: {value}").props("dense outline square")
            if not figures:
                ui.label("Done.").classes("lx-muted")
        for warning in warnings:
            with ui.row().classes("items-center gap-2 text-warning"):
                ui.icon("warning")
                ui.label(f"warning: {warning}")
        if summary.get("dictionaries"):
            ui.link("See them on the Dictionaries page", "/dictionaries")
        reports = [(i, Path(p)) for i, p in enumerate(outputs) if is_report(Path(p))]
        review = (tool, function) in TRANSFERS
        order = REVIEW_ORDER if review else SEARCH_ORDER if function == "search" else None
        for index, path in reports[:MAX_REPORTS]:
            title = "Fills to review" if review else "Results"
            if len(reports) > 1:
                title += f" · {path.name}"
            report_box(ctx, path, f"report-{index}", title, review, order)
        output_files(task_id, outputs, "task-output")
