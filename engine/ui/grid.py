"""A table whose rows are paged and sorted on the server: the page asks ``fetch`` for one page at
a time (Quasar's QTable in server mode), so a list of a million rows costs one page per view.

``fetch(offset, limit, sort, descending)`` returns ``(rows, total)``; it may raise an
:class:`engine.errors.EngineError`, whose message is shown in place of the rows. Fetches run off
the event loop, with the table's loading bar on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nicegui import run, ui

from engine.errors import EngineError

log = logging.getLogger(__name__)

Fetch = Callable[[int, int, str | None, bool], tuple[list[dict[str, Any]], int]]
PAGE_SIZES = [25, 50, 100, 200]


@dataclass
class GridState:
    page: int = 1
    page_size: int = 50
    sort: str | None = None
    descending: bool = False


class ServerGrid:
    def __init__(
        self,
        columns: list[dict[str, Any]],
        fetch: Fetch,
        *,
        testid: str,
        row_key: str = "id",
        state: GridState | None = None,
        empty: str = "Nothing here yet.",
        on_state: Callable[[GridState], None] | None = None,
    ) -> None:
        self._fetch = fetch
        self._on_state = on_state
        self.state = state or GridState()
        self.total = 0
        self.error = ui.label("").classes("text-negative").props(f"data-testid={testid}-error")
        self.error.set_visibility(False)
        self.table = ui.table(
            columns=columns,
            rows=[],
            row_key=row_key,
            pagination={
                "page": self.state.page,
                "rowsPerPage": self.state.page_size,
                "sortBy": self.state.sort,
                "descending": self.state.descending,
                "rowsNumber": 0,
            },
        ).classes("w-full")
        self.table.props(
            f"data-testid={testid} wrap-cells :rows-per-page-options='{PAGE_SIZES}'"
            f" no-data-label='{empty}'"
        )
        self.table.on("request", self._request, ["pagination"])

    async def _request(self, event: Any) -> None:
        pagination = event.args.get("pagination") or {}
        self.state = GridState(
            page=max(1, int(pagination.get("page") or 1)),
            page_size=int(pagination.get("rowsPerPage") or self.state.page_size) or 50,
            sort=pagination.get("sortBy") or None,
            descending=bool(pagination.get("descending")),
        )
        await self.load()
        if self._on_state is not None:
            self._on_state(self.state)

    def _args(self) -> tuple[int, int, str | None, bool]:
        s = self.state
        return (s.page - 1) * s.page_size, s.page_size, s.sort, s.descending

    def load_now(self) -> None:
        """Fetch the current page on this thread (for a fast query, while the page is built: the
        first render then holds the rows)."""
        try:
            rows, total = self._fetch(*self._args())
        except Exception as exc:
            self._failed(exc)
            rows, total = [], 0
        self._show(rows, total)

    async def load(self, *, first_page: bool = False) -> None:
        """Fetch the current page again (or the first one, after the filters changed)."""
        if first_page:
            self.state.page = 1
        self.table.props("loading")
        try:
            result = await run.io_bound(self._fetch, *self._args())
            if result is None:  # the page closed, or the app is stopping
                return
            rows, total = result
            self.error.set_visibility(False)
        except Exception as exc:
            self._failed(exc)
            rows, total = [], 0
        finally:
            self.table.props(remove="loading")
        self._show(rows, total)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, EngineError):
            self.error.set_text(str(exc))
        else:
            log.exception("a grid could not load its rows")
            self.error.set_text(f"Could not load the rows ({type(exc).__name__}); try again.")
        self.error.set_visibility(True)

    def _show(self, rows: list[dict[str, Any]], total: int) -> None:
        s = self.state
        self.total = total
        self.table.rows = rows
        self.table.pagination = {
            "page": s.page,
            "rowsPerPage": s.page_size,
            "sortBy": s.sort,
            "descending": s.descending,
            "rowsNumber": total,
        }
        self.table.update()
