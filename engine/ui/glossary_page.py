"""The Team glossary page: search as you type, filter by game and language (the filters live in
the URL), sort and page in SQL; add, edit (inline or in a dialog) and delete terms, offline or
not; each term says whether it waits to sync, and a contested one offers to keep either value.
Terms changed by colleagues appear as soon as a sync has pulled them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from nicegui import ui

from engine.context import EngineContext
from engine.errors import EngineError
from engine.glossary import COLUMNS, Filters, Glossary, Row
from engine.ui.grid import GridState, ServerGrid
from engine.ui.layout import header

ANY = "__any__"
REFRESH_SECONDS = 2.0

GRID_COLUMNS = [
    {"name": "source", "label": "Source", "field": "source", "sortable": True, "align": "left"},
    {
        "name": "translation",
        "label": "Translation",
        "field": "translation",
        "sortable": True,
        "align": "left",
    },
    {"name": "game", "label": "Game", "field": "game", "sortable": True, "align": "left"},
    {
        "name": "language",
        "label": "Language",
        "field": "language",
        "sortable": True,
        "align": "left",
    },
    {"name": "note", "label": "Note", "field": "note", "align": "left"},
    {"name": "sync", "label": "Sync", "field": "sync", "align": "left"},
    {"name": "actions", "label": "", "field": "id", "align": "right"},
]

# Quasar slot templates; rows carry ``waiting`` and ``contested`` flags.
SYNC_SLOT = r"""
<q-td :props="props" :data-testid="'term-' + props.row.id + '-sync'">
  <q-chip v-if="props.row.contested" dense clickable color="negative" text-color="white"
    icon="call_split" :data-testid="'term-' + props.row.id + '-contested'"
    @click="$parent.$emit('contest', props.row)">contested</q-chip>
  <q-chip v-if="props.row.waiting" dense color="warning" text-color="black"
    icon="cloud_upload" :data-testid="'term-' + props.row.id + '-waiting'">waiting to sync</q-chip>
  <span v-if="!props.row.waiting && !props.row.contested" class="lx-muted">
    <q-icon name="cloud_done" /> in sync</span>
</q-td>
"""
ACTIONS_SLOT = r"""
<q-td :props="props">
  <q-btn flat dense round icon="edit" :aria-label="'Edit ' + props.row.source"
    :data-testid="'term-' + props.row.id + '-edit'" @click="$parent.$emit('edit', props.row)" />
  <q-btn flat dense round icon="delete" color="negative" :aria-label="'Delete ' + props.row.source"
    :data-testid="'term-' + props.row.id + '-delete'" @click="$parent.$emit('remove', props.row)" />
</q-td>
"""


def inline_slot(column: str) -> str:
    """A cell that edits in place: click, type, Enter saves (Escape cancels)."""
    return rf"""
<q-td :props="props" :data-testid="'term-' + props.row.id + '-{column}'" class="cursor-pointer">
  {{{{ props.row.{column} }}}}
  <q-popup-edit :model-value="props.row.{column}" v-slot="scope" buttons
    @save="(value) => $parent.$emit('inline', {{id: props.row.id, column: '{column}', value}})">
    <q-input v-model="scope.value" dense autofocus @keyup.enter="scope.set"
      data-testid="inline-input" />
  </q-popup-edit>
</q-td>
"""


def _row(row: Row) -> dict[str, Any]:
    return {
        "id": row.term.id,
        **{c: getattr(row.term, c) for c in COLUMNS},
        "waiting": row.waiting,
        "contested": bool(row.contests),
    }


class GlossaryView:
    def __init__(self, ctx: EngineContext, filters: Filters, state: GridState) -> None:
        self._ctx = ctx
        self._glossary = Glossary(ctx.db)
        self._stamp = self._glossary.stamp()
        # Dialogs opened from the table's events live here, not inside the table.
        self._dialogs = ui.element("div")
        games, languages = self._glossary.facets()
        with ui.row().classes("items-center gap-4 w-full"):
            ui.label("Team glossary").classes("text-h6")
            self._count = ui.label("").classes("lx-muted").props("data-testid=glossary-count")
            ui.element("div").classes("grow")
            ui.button("Add term", icon="add", on_click=lambda: self._edit(None)).props(
                "data-testid=glossary-add"
            )
        with ui.row().classes("items-end gap-4 w-full"):
            self._text = (
                ui.input("Search", value=filters.text, on_change=self._refilter)
                .props("clearable debounce=250 data-testid=glossary-search")
                .classes("min-w-72")
            )
            self._game = self._facet("Game", games, filters.game, "glossary-game")
            self._language = self._facet(
                "Language", languages, filters.language, "glossary-language"
            )
            self._contested = ui.checkbox(
                "Contested only", value=filters.contested_only, on_change=self._refilter
            ).props("data-testid=glossary-contested-only")
        self.grid = ServerGrid(
            GRID_COLUMNS,
            self._fetch,
            testid="glossary",
            state=state,
            empty="No terms match. Clear the filters, or add a term.",
            on_state=lambda _s: self._remember_url(),
        )
        self._empty = (
            ui.label(
                'The team glossary is empty. Add the first term with "Add term"; terms your '
                "colleagues add appear here after a sync."
            )
            .classes("lx-muted")
            .props("data-testid=glossary-empty")
        )
        self._empty.set_visibility(False)
        table = self.grid.table
        for column in ("translation", "note"):
            table.add_slot(f"body-cell-{column}", inline_slot(column))
        table.add_slot("body-cell-sync", SYNC_SLOT)
        table.add_slot("body-cell-actions", ACTIONS_SLOT)
        table.on("edit", lambda e: self._edit(e.args))
        table.on("remove", lambda e: self._confirm_delete(e.args))
        table.on("contest", lambda e: self._show_contest(e.args["id"]))
        table.on("inline", lambda e: self._inline(e.args))
        self.grid.load_now()
        self._after_load()
        ui.timer(REFRESH_SECONDS, self._watch)

    def _facet(self, label: str, values: list[str], chosen: str | None, testid: str) -> ui.select:
        options = {ANY: f"Any {label.lower()}", **{v: v or "(none)" for v in values}}
        if chosen is not None and chosen not in options:
            options[chosen] = chosen or "(none)"
        value = ANY if chosen is None else chosen
        return (
            ui.select(options, label=label, value=value, on_change=self._refilter)
            .props(f"data-testid={testid}")
            .classes("min-w-40")
        )

    def filters(self) -> Filters:
        return Filters(
            text=(self._text.value or "").strip(),
            game=None if self._game.value == ANY else self._game.value,
            language=None if self._language.value == ANY else self._language.value,
            contested_only=bool(self._contested.value),
        )

    def _fetch(
        self, offset: int, limit: int, sort: str | None, descending: bool
    ) -> tuple[list[dict[str, Any]], int]:
        page = self._glossary.page(
            self.filters(),
            sort=sort if sort in ("source", "translation", "game", "language") else "source",
            descending=descending,
            offset=offset,
            limit=limit,
        )
        return [_row(r) for r in page.rows], page.total

    async def _reload(self, *, first_page: bool = False) -> None:
        await self.grid.load(first_page=first_page)
        self._after_load()

    def _after_load(self) -> None:
        f = self.filters()
        filtered = bool(f.text or f.game is not None or f.language is not None or f.contested_only)
        nothing = self.grid.total == 0 and not filtered and not self.grid.error.visible
        self._empty.set_visibility(nothing)
        self.grid.table.set_visibility(not nothing)
        self._count.set_text(f"{self.grid.total} term{'s' * (self.grid.total != 1)}")

    async def _refilter(self) -> None:
        await self._reload(first_page=True)
        self._remember_url()

    def _remember_url(self) -> None:
        f, s = self.filters(), self.grid.state
        query = {
            "q": f.text,
            "game": f.game,
            "language": f.language,
            "contested": "1" if f.contested_only else None,
            "sort": s.sort,
            "desc": "1" if s.descending else None,
            "page": s.page if s.page > 1 else None,
            "size": s.page_size if s.page_size != 50 else None,
        }
        kept = {k: v for k, v in query.items() if v not in (None, "")}
        ui.navigate.history.replace("/glossary" + (f"?{urlencode(kept)}" if kept else ""))

    async def _watch(self) -> None:
        """Reload when engine.db changed (a pull brought colleagues' terms, or another page)."""
        stamp = self._glossary.stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._update_facets()
            await self._reload()

    def _update_facets(self) -> None:
        games, languages = self._glossary.facets()
        for select, values, label in (
            (self._game, games, "game"),
            (self._language, languages, "language"),
        ):
            options = {ANY: f"Any {label}", **{v: v or "(none)" for v in values}}
            if select.value not in options:
                options[select.value] = select.value or "(none)"
            select.set_options(options, value=select.value)

    # --- changes -------------------------------------------------------------------------------

    async def _changed(self, message: str) -> None:
        ui.notify(message, type="positive")
        self._stamp = self._glossary.stamp()
        self._update_facets()
        await self._reload()

    async def _inline(self, args: dict[str, Any]) -> None:
        try:
            self._glossary.update(str(args["id"]), {str(args["column"]): args.get("value")})
        except EngineError as exc:
            ui.notify(str(exc), type="negative")
            await self._reload()
            return
        await self._changed(f"{args['column']} saved")

    def _edit(self, row: dict[str, Any] | None) -> None:
        games, languages = self._glossary.facets()
        self._dialogs.clear()
        with (
            self._dialogs,
            ui.dialog() as dialog,
            ui.card().classes("min-w-[32rem]").props("data-testid=term-dialog"),
        ):
            ui.label("Edit term" if row else "Add a term").classes("text-h6")
            fields: dict[str, Any] = {}
            for column in ("source", "translation"):
                fields[column] = (
                    ui.input(column.capitalize() + " *", value=(row or {}).get(column, ""))
                    .classes("w-full")
                    .props(f"data-testid=term-{column}")
                )
            current = self.filters()
            for column, values, preset in (
                ("game", games, current.game),
                ("language", languages, current.language),
            ):
                value = (row or {}).get(column, preset or "")
                fields[column] = (
                    ui.select(
                        [v for v in values if v]
                        + ([value] if value and value not in values else []),
                        label=column.capitalize(),
                        value=value or None,
                        new_value_mode="add-unique",
                        with_input=True,
                        clearable=True,
                    )
                    .classes("w-full")
                    .props(f"data-testid=term-{column} hide-dropdown-icon input-debounce=0")
                )
            fields["note"] = (
                ui.textarea("Note", value=(row or {}).get("note", ""))
                .classes("w-full")
                .props("autogrow data-testid=term-note")
            )
            error = ui.label("").classes("text-negative").props("data-testid=term-error")

            async def save() -> None:
                values = {c: (f.value or "") for c, f in fields.items()}
                try:
                    if row:
                        self._glossary.update(str(row["id"]), values)
                    else:
                        self._glossary.add(values)
                except EngineError as exc:
                    error.set_text(str(exc))
                    return
                dialog.close()
                await self._changed("term saved" if row else "term added")

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat data-testid=term-cancel")
                ui.button("Save", on_click=save, icon="save").props("data-testid=term-save")
        dialog.open()

    def _confirm_delete(self, row: dict[str, Any]) -> None:
        self._dialogs.clear()
        with (
            self._dialogs,
            ui.dialog() as dialog,
            ui.card().props("data-testid=term-delete-dialog"),
        ):
            ui.label(f"Delete the term {row['source']} → {row['translation']}?").classes(
                "text-subtitle1"
            )
            ui.label("The deletion reaches every install of the team at the next sync.").classes(
                "lx-muted"
            )

            async def delete() -> None:
                dialog.close()
                try:
                    self._glossary.delete(str(row["id"]))
                except EngineError as exc:
                    ui.notify(str(exc), type="negative")
                    await self._reload()
                    return
                await self._changed("term deleted")

            with ui.row().classes("w-full justify-end"):
                ui.button("Cancel", on_click=dialog.close).props("flat")
                ui.button("Delete", on_click=delete, color="negative", icon="delete").props(
                    "data-testid=term-delete-confirm"
                )
        dialog.open()

    def _show_contest(self, term_id: str) -> None:
        try:
            row = self._glossary.get(term_id)
        except EngineError as exc:
            ui.notify(str(exc), type="negative")
            return
        self._dialogs.clear()
        with (
            self._dialogs,
            ui.dialog() as dialog,
            ui.card().classes("min-w-[32rem]").props("data-testid=contest-dialog"),
        ):
            ui.label(f"{row.term.source}: edited here and elsewhere at once").classes("text-h6")
            ui.label(
                "You and a colleague changed this term without seeing each other's change. "
                "Sync kept their value everywhere; yours is shown below."
            ).classes("lx-muted")
            for contest in row.contests:
                with ui.row().classes("items-baseline gap-3"):
                    ui.label(contest.column).classes("text-weight-bold min-w-24")
                    ui.label(f"yours: {contest.mine}").classes("lx-diff-del px-1").props(
                        f"data-testid=contest-{contest.column}-mine"
                    )
                    ui.label(f"kept: {contest.kept}").classes("lx-diff-ins px-1").props(
                        f"data-testid=contest-{contest.column}-kept"
                    )

            async def resolve(mine: bool) -> None:
                dialog.close()
                try:
                    if mine:
                        self._glossary.use_mine(term_id)
                    else:
                        self._glossary.keep_theirs(term_id)
                except EngineError as exc:
                    ui.notify(str(exc), type="negative")
                await self._changed("your value is back" if mine else "kept their value")

            with ui.row().classes("w-full justify-end"):
                ui.button("Keep theirs", on_click=lambda: resolve(False)).props(
                    "flat data-testid=contest-keep-theirs"
                )
                ui.button("Use mine", on_click=lambda: resolve(True)).props(
                    "data-testid=contest-use-mine"
                )
        dialog.open()


def mount(ctx: EngineContext) -> None:
    @ui.page("/glossary")
    def glossary_page(
        q: str = "",
        game: str | None = None,
        language: str | None = None,
        contested: str = "",
        sort: str | None = None,
        desc: str = "",
        page: int = 1,
        size: int = 50,
    ) -> None:
        header(ctx, "/glossary")
        filters = Filters(text=q, game=game, language=language, contested_only=contested == "1")
        state = GridState(
            page=max(1, page), page_size=min(max(size, 1), 500), sort=sort, descending=desc == "1"
        )
        with ui.column().classes("w-full p-4 gap-4"):
            GlossaryView(ctx, filters, state)
