"""Conflicts: the merge decisions between two installs' values, both side by side, who won and
by which rule."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui

from web_admin import fleet
from web_admin.frame import Console, enter, header, url

WHY = {
    "causal_length": "the row was deleted or re-created more times on the winning side",
    "col_version": "the winning side edited this value more times",
    "value": "both edited it equally often; the larger value wins (cr-sqlite's rule)",
}
FILTERS = (("table", "Table"), ("key", "Key"), ("install", "Install id"), ("rule", "Rule"))


def register(console: Console) -> None:
    @ui.page("/conflicts")
    async def conflicts_page(
        request: Request, table: str = "", key: str = "", install: str = "", rule: str = "",
        before: int | None = None,
    ) -> RedirectResponse | None:  # fmt: skip
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Conflicts")
        wanted = fleet.ConflictFilter(table, key, install, rule)

        def load() -> list:
            with console.engine.connect() as conn:
                return fleet.conflicts(conn, wanted, before)

        rows = await run.io_bound(load)
        inputs = {}
        with ui.row().classes("items-end gap-2"):
            for name, label in FILTERS:
                inputs[name] = ui.input(label, value=getattr(wanted, name)).props(
                    f"dense outlined clearable data-testid=filter-{name}"
                )

            def apply() -> None:
                ui.navigate.to(
                    url("/conflicts", {k: v.value for k, v in inputs.items() if v.value})
                )

            ui.button("Apply", on_click=apply).props("data-testid=apply")
        if not rows:
            ui.label(
                "No conflicts. One appears when two installs change the same value of a shared "
                "table (users, glossary, announcements, releases) before syncing."
            ).classes("text-grey-7").props("data-testid=empty")
        for row in rows:
            won = "incoming" if row["incoming_won"] else "existing"
            with ui.card().classes("w-full").props(f"data-testid=conflict-{row['id']}"):
                where = f"{row['tbl']} {row['row_key'] or ''} · column {row['cid']}"
                ui.label(f"{seen.when(row['at'])} · {where}").classes("text-weight-bold")
                with ui.row().classes("w-full no-wrap gap-4"):
                    for side in ("existing", "incoming"):
                        with ui.column().classes(
                            "w-1/2 q-pa-sm rounded "
                            + ("bg-green-1 text-black" if side == won else "bg-grey-2 text-black")
                        ):
                            who = row[f"{side}_install"] or (row[f"{side}_site"] or "")[:12]
                            mark = "kept ✓" if side == won else "lost"
                            ui.label(f"{side} · {who} · {mark}").classes("text-caption")
                            ui.label(str(row[f"{side}_value"])).classes("whitespace-pre-wrap")
                            edits, length = row[f"{side}_col_version"], row[f"{side}_cl"]
                            ui.label(f"edits {edits}, causal length {length}").classes(
                                "text-caption"
                            )
                ui.label(f"Rule {row['rule']}: {WHY.get(row['rule'], '')}").classes("text-caption")
        if len(rows) == 100:
            params = {k: v.value for k, v in inputs.items() if v.value}
            ui.link("Older", url("/conflicts", params | {"before": str(rows[-1]["id"])}))
        return None
