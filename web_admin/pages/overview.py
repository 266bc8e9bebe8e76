"""The Overview: a few numbers that say whether everything is fine, each a link to the list
behind it, and charts of the last 30 days in the viewer's time zone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import run, ui
from sqlalchemy import Engine

from web_admin import overview
from web_admin.frame import Console, Seen, enter, header, now_utc, url


def _load(engine: Engine, seen: Seen) -> tuple[overview.Cards, overview.Charts]:
    now = now_utc()
    with engine.connect() as conn:
        return overview.cards(conn, now, seen.zone), overview.charts(conn, now, seen.zone)


def _card(label: str, value: str, link: str, testid: str, note: str = "") -> None:
    with (
        ui.link(target=link).classes("no-underline text-inherit"),
        ui.card().classes("w-52 cursor-pointer").props(f"data-testid=card-{testid}"),
    ):
        ui.label(label).classes("text-caption text-grey-7")
        ui.label(value).classes("text-h5").props(f"data-testid=value-{testid}")
        if note:
            ui.label(note).classes("text-caption")


def _chart(title: str, options: dict[str, Any], testid: str) -> None:
    with ui.card().classes("w-[46rem] max-w-full"):
        ui.label(title).classes("text-subtitle1")
        ui.echart(options).classes("w-full h-64").props(f"data-testid=chart-{testid}")


def _bars(days: list[str], series: dict[str, list[int]], stack: bool) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"type": "scroll"},
        "xAxis": {"type": "category", "data": [d[5:] for d in days]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {"name": name, "type": "bar", "data": values, **({"stack": "all"} if stack else {})}
            for name, values in series.items()
        ],
    }


def register(console: Console) -> None:
    @ui.page("/")
    async def overview_page(request: Request) -> RedirectResponse | None:
        seen = await enter(console, request)
        if isinstance(seen, RedirectResponse):
            return seen
        header(seen, "Overview")
        cards, charts = await run.io_bound(_load, console.engine, seen)
        today = overview.midnight(now_utc(), seen.zone)
        week = (today - timedelta(days=6)).date().isoformat()
        rate = (
            "no finished runs"
            if cards.success_rate_7d is None
            else (f"{cards.success_rate_7d:.0%} succeeded")
        )
        with ui.row().classes("gap-3 q-mt-sm"):
            _card(
                "Installs active 24 h / 7 days",
                f"{cards.installs_24h} / {cards.installs_7d}",
                "/installs",
                "installs",
                f"of {cards.installs_all}",
            )
            _card("Users active, 7 days", str(cards.users_active_7d), "/users", "users")
            _card(
                "Operations today",
                str(cards.operations_today),
                url("/activity", {"since": today.date().isoformat()}),
                "ops-today",
            )
            _card(
                "Operations, 7 days",
                str(cards.operations_7d),
                url("/activity", {"since": week}),
                "ops-week",
                rate,
            )
            _card(
                "Errors, 24 h",
                str(cards.errors_24h),
                url("/logs", {"level": "error"}),
                "errors",
            )
            _card(
                "Installs behind",
                str(cards.installs_behind),
                url("/installs", {"state": "behind"}),
                "behind",
                "no push for 24 h",
            )
            _card("Conflicts, 7 days", str(cards.conflicts_7d), "/conflicts", "conflicts")
        if not charts.runs_by_tool:
            ui.label(
                "No tool runs in the last 30 days. Charts fill in as installs run tools and sync."
            ).classes("text-grey-7 q-mt-md").props("data-testid=empty")
            return None
        with ui.row().classes("gap-3 q-mt-md"):
            _chart("Runs per day by tool", _bars(charts.days, charts.runs_by_tool, True), "tools")
            _chart("Succeeded and failed per day", _bars(charts.days, charts.outcomes, False), "ok")
            _chart(
                "Active installs per day",
                _bars(charts.days, {"installs": charts.active_installs}, False),
                "active",
            )
            tools = [t for t, _, _ in charts.durations]
            _chart(
                "Duration per tool (seconds, approximate)",
                {
                    "tooltip": {"trigger": "axis"},
                    "legend": {},
                    "xAxis": {"type": "category", "data": tools},
                    "yAxis": {"type": "value"},
                    "series": [
                        {
                            "name": "p50",
                            "type": "bar",
                            "data": [round(p, 3) for _, p, _ in charts.durations],
                        },
                        {
                            "name": "p95",
                            "type": "bar",
                            "data": [round(p, 3) for _, _, p in charts.durations],
                        },
                    ],
                },
                "durations",
            )
            _chart(
                "App versions in use",
                {
                    "tooltip": {"trigger": "item"},
                    "series": [
                        {
                            "type": "pie",
                            "radius": "65%",
                            "data": [{"name": v, "value": n} for v, n in charts.versions],
                        }
                    ],
                },
                "versions",
            )
        return None
