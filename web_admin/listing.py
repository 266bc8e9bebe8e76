"""The activity (operations) and logs (events) lists: filters and sort from the URL, keyset
pages, and the one SELECT that both the page and its export run.

A page after the first carries ``after``: the last row's sort value and id, so the next page is
``WHERE (key, id) < (value, id)`` whatever the depth, never an OFFSET."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
)

from central.tables import NEVER, events, installs, operations, users

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
SORT_VALUE = "sort_value"  # the page's sort key as selected, for the next page's cursor
# Written out (not a parameter) so the planner matches the lists' indexes (migration 0010).
_NEVER = literal_column(NEVER)


class BadFilter(ValueError):
    """A filter or cursor in the URL that cannot be used; the message names it."""


def _moment(name: str, text: str, end: bool = False) -> datetime:
    """An ISO date or date-time; a date alone is its whole day (UTC without an offset)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max if end else time.min, UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadFilter(f"{name}: not an ISO date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    where: Callable[[str], ColumnElement[bool]]


@dataclass(frozen=True)
class Listing:
    name: str
    table: Any
    source: FromClause
    columns: tuple[ColumnElement[Any], ...]
    time_column: ColumnElement[Any]
    filters: tuple[Filter, ...]
    sorts: Mapping[str, ColumnElement[Any]]
    default_sort: str

    @property
    def filter_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters)


@dataclass(frozen=True)
class Query:
    listing: Listing
    values: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    after: tuple[Any, str] | None = None
    size: int = PAGE_SIZE

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    def params(self, **changes: str | None) -> dict[str, str]:
        """The URL parameters of this view (filters and sort), with ``changes``."""
        out = dict(self.values)
        if self.sort != self.listing.default_sort:
            out["sort"] = self.sort
        if self.size != PAGE_SIZE:
            out["size"] = str(self.size)
        for key, value in changes.items():
            if value is None or value == "":
                out.pop(key, None)
            else:
                out[key] = value
        if out.get("sort") == self.listing.default_sort:
            del out["sort"]
        return out


def _text_in(column: ColumnElement[Any]) -> Callable[[str], ColumnElement[bool]]:
    return lambda v: column.icontains(v, autoescape=True)


def _equals(column: ColumnElement[Any]) -> Callable[[str], ColumnElement[bool]]:
    return lambda v: column == v


def _install(table: Any) -> Callable[[str], ColumnElement[bool]]:
    return lambda v: or_(table.c.install_id == v, installs.c.name == v)


def _since(column: ColumnElement[Any]) -> Callable[[str], ColumnElement[bool]]:
    return lambda v: _sortable(column, "time") >= _moment("since", v)


def _until(column: ColumnElement[Any]) -> Callable[[str], ColumnElement[bool]]:
    # a row without a time sorts as the oldest, so no "until" excludes it
    return lambda v: _sortable(column, "time") <= _moment("until", v, end=True)


def _team(v: str) -> ColumnElement[bool]:
    return operations.c.username.in_(select(users.c.username).where(users.c.team == v))


def _sortable(column: ColumnElement[Any], kind: str) -> ColumnElement[Any]:
    """Sort keys never NULL, so that (key, id) comparisons page through every row."""
    if kind == "time":
        return func.coalesce(column, _NEVER)
    return func.coalesce(column, literal_column("-1.0"))


_op_source = operations.outerjoin(installs, installs.c.id == operations.c.install_id)
OPERATIONS = Listing(
    name="operations",
    table=operations,
    source=_op_source,
    columns=(
        operations.c.id,
        operations.c.started,
        operations.c.finished,
        operations.c.install_id,
        installs.c.name.label("install"),
        installs.c.app_version,
        operations.c.username,
        operations.c.tool,
        operations.c.function,
        operations.c.status,
        operations.c.duration,
        operations.c.rows_in,
        operations.c.rows_out,
        operations.c.input_files,
        operations.c.output_files,
        operations.c.parameters,
        operations.c.error,
    ),
    time_column=operations.c.started,
    filters=(
        Filter("since", "From", _since(operations.c.started)),
        Filter("until", "Until", _until(operations.c.started)),
        Filter("install", "Install", _install(operations)),
        Filter("user", "User", _equals(operations.c.username)),
        Filter("team", "Team", _team),
        Filter("tool", "Tool", _equals(operations.c.tool)),
        Filter("function", "Function", _equals(operations.c.function)),
        Filter("status", "Status", _equals(operations.c.status)),
        Filter("q", "Error text", _text_in(operations.c.error)),
    ),
    # Only keys with an index of their own (migration 0010), so any page of any view is quick.
    sorts={
        "started": _sortable(operations.c.started, "time"),
        "duration": _sortable(operations.c.duration, "number"),
    },
    default_sort="-started",
)

EVENTS = Listing(
    name="events",
    table=events,
    source=events.outerjoin(installs, installs.c.id == events.c.install_id),
    columns=(
        events.c.id,
        events.c.time,
        events.c.install_id,
        installs.c.name.label("install"),
        installs.c.app_version,
        events.c.level,
        events.c.component,
        events.c.message,
        events.c.data,
        events.c.value,
    ),
    time_column=events.c.time,
    filters=(
        Filter("since", "From", _since(events.c.time)),
        Filter("until", "Until", _until(events.c.time)),
        Filter("install", "Install", _install(events)),
        Filter("level", "Level", _equals(events.c.level)),
        Filter("component", "Component", _equals(events.c.component)),
        Filter("q", "Message text", _text_in(events.c.message)),
    ),
    sorts={"time": _sortable(events.c.time, "time")},
    default_sort="-time",
)


def encode_cursor(value: Any, key: str) -> str:
    raw = json.dumps([value.isoformat() if isinstance(value, datetime) else value, key])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(listing: Listing, sort_key: str, text: str) -> tuple[Any, str]:
    try:
        value, key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(key, str) or not isinstance(value, str | int | float):
            raise ValueError
        if sort_key in ("started", "time"):
            value = datetime.fromisoformat(str(value))
    except (ValueError, TypeError):
        raise BadFilter("after: not a page of this list; start from the first page") from None
    return value, key


def parse(listing: Listing, params: Mapping[str, str]) -> Query:
    """The view the URL asks for; BadFilter names what is wrong."""
    values = {f.name: params[f.name].strip() for f in listing.filters if params.get(f.name)}
    for name in ("since", "until"):
        if name in values:
            _moment(name, values[name])
    sort = params.get("sort") or listing.default_sort
    if sort.lstrip("-") not in listing.sorts:
        raise BadFilter(f"sort: one of {', '.join(listing.sorts)} (with - for descending)")
    try:
        size = min(max(int(params.get("size") or PAGE_SIZE), 1), MAX_PAGE_SIZE)
    except ValueError:
        raise BadFilter("size: a number of rows") from None
    after = None
    if params.get("after"):
        after = _decode_cursor(listing, sort.lstrip("-"), params["after"])
    return Query(listing, values, sort, after, size)


def statement(query: Query, *, paged: bool) -> Select[Any]:
    listing = query.listing
    key = listing.sorts[query.sort_key]
    pk = listing.table.c.id
    columns = (*listing.columns, key.label(SORT_VALUE)) if paged else listing.columns
    stmt = select(*columns).select_from(listing.source)
    for f in listing.filters:
        if f.name in query.values:
            stmt = stmt.where(f.where(query.values[f.name]))
    order = (key.desc(), pk.desc()) if query.descending else (key.asc(), pk.asc())
    stmt = stmt.order_by(*order)
    if paged:
        if query.after is not None:
            pair, last = tuple_(key, pk), tuple_(literal(query.after[0]), literal(query.after[1]))
            stmt = stmt.where(pair < last if query.descending else pair > last)
        stmt = stmt.limit(query.size + 1)
    return stmt


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_after: str | None


def page(conn: Connection, query: Query) -> Page:
    rows = [dict(r) for r in conn.execute(statement(query, paged=True)).mappings()]
    last_value = rows[query.size - 1][SORT_VALUE] if len(rows) > query.size else None
    for row in rows:
        del row[SORT_VALUE]
    if len(rows) <= query.size:
        return Page(rows, None)
    rows = rows[: query.size]
    return Page(rows, encode_cursor(last_value, rows[-1]["id"]))
