"""`locanext bench load`: a fleet of simulated installs against a real `locanext central`.

Central runs as its own process on a scratch database; the installs are asynchronous HTTP
clients in this process (one shared connection pool), each with its own enrolled token and site
id, sending changes replayed from a real cr-sqlite tool run (:mod:`bench.fleet`). Parts:

* **steady**: each install commits a tool run every ``commit_every`` s on average (exponential
  gaps) and then syncs at once, and syncs every ``interval`` s otherwise (the Syncer's rhythm; a
  round is the replicator's: a push of what is queued and a pull, after asking central's state
  on the install's first round and after a failure), at growing fleet sizes. Each size starts
  with a ramp of one interval, in which every install makes its first round (new ones ask
  central's state and pull the shared tables whole), measured apart; then per size, over
  ``duration`` s of steady state: pushes/s, changes/s, push and pull p50/p99, errors, central's
  CPU and RSS, PostgreSQL connections. The largest size with push p99 under 500 ms in steady
  state and no error, ramp included, is the figure. During the largest size an administrator
  publishes an announcement (**fan-out**): every install must see it in a pull within one
  interval plus 1 s.
* **monday**: ``monday_installs`` installs come back with ``monday_changes`` queued changes each,
  all at once: time until everything is merged, and each install's wait for its first
  acknowledgement (fairness: the slowest at most 3x the median).
* **workers**: the same pull-heavy load (installs pulling everything shared, back to back)
  on ``locanext central --workers 1`` and ``--workers 2``: pulls/s and their ratio.
* **mirror** (always): every up-table row and cell the fleet sent is in the mirror exactly once,
  every watermark is at its install's last version, and the glossary equals a cr-sqlite hub fed
  the same changes.

Figures are printed with their targets (PASS/MISS); only the checks decide the exit code.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import psutil
import psycopg

from bench import fleet as fleet_mod
from bench.fleet import Ledger, SimInstall, Template
from bench.sync import (
    USER,
    CentralProcess,
    Report,
    ResourceSampler,
    Section,
    central_process,
    wait_ready,
)
from central.admin_client import session_headers
from replicator.wire import Change

PUSH_P99_TARGET = 0.500
FLEET_TARGET = 1_000
MONDAY_SECONDS = 60.0
FAIRNESS = 3.0
FANOUT_SLACK = 1.0
PUSH_CHANGES = 4_000  # the replicator's push size

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    levels: tuple[int, ...] = (100, 250, 500, 1_000)
    duration: float = 20.0
    interval: float = 5.0
    commit_every: float = 5.0
    monday_installs: int = 200
    monday_changes: int = 5_000
    connections: int = 256
    pull_installs: int = 100

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            levels=(5, 20),
            duration=4.0,
            interval=1.0,
            commit_every=1.0,
            monday_installs=5,
            monday_changes=300,
            connections=32,
            pull_installs=10,
        )


T = TypeVar("T")


def _run_fleet(fleet: Coroutine[Any, Any, T]) -> T:
    """Drive the simulated fleet on an event loop in a thread of its own, so the bench runs from
    any caller, one whose thread already runs a loop too (a test process holding Playwright's)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-fleet") as pool:
        return pool.submit(asyncio.run, fleet).result()


def _percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, round(fraction * len(ordered) + 0.4999) - 1)]


@dataclass
class Traffic:
    state: list[float] = field(default_factory=list)
    push: list[float] = field(default_factory=list)
    pull: list[float] = field(default_factory=list)
    rounds: int = 0
    changes: int = 0
    errors: Counter[str] = field(default_factory=Counter)


def _session(url: str, sizes: Sizes) -> aiohttp.ClientSession:
    """The fleet's HTTP client. aiohttp rather than httpx: measured here against central's
    health route, httpx's shared pool cost the fleet 6.3 ms of CPU per request at 200 requests
    in flight (aiohttp 0.23 ms), so at a few hundred installs the fleet's own event loop, not
    central, was what saturated and the latencies measured were its own queue."""
    # Idle connections are dropped before central's keep-alive timeout (uvicorn's 5 s) would
    # close them under a request just sent.
    connector = aiohttp.TCPConnector(limit=sizes.connections, keepalive_timeout=4.0)
    return aiohttp.ClientSession(
        base_url=url, connector=connector, timeout=aiohttp.ClientTimeout(total=120)
    )


class ConnectionWatch:
    """The most PostgreSQL connections to the scratch database seen since the last reset."""

    def __init__(self, dsn: str, every: float = 0.5) -> None:
        self._dsn, self._every = dsn, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-connections", daemon=True)

    def __enter__(self) -> ConnectionWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self._dsn, autocommit=True) as conn:
            while not self._stop.wait(self._every):
                row = conn.execute(
                    "SELECT count(*) - 1 FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchone()
                self.peak = max(self.peak, row[0] if row else 0)


class Fleet:
    """The simulated installs talking to central over one HTTP connection pool."""

    def __init__(
        self,
        client: aiohttp.ClientSession,
        template: Template,
        sites: list[SimInstall],
        seed: int,
    ) -> None:
        self.client = client
        self.template = template
        self.sites = sites
        self.ledger = Ledger()
        self.queues: dict[str, list[list[Change]]] = {s.install_id: [] for s in sites}
        self.rng = random.Random(seed)
        self.marker: str | None = None  # an announcement's title, as a pull's JSON carries it
        self.published_at: float | None = None  # when it was sent
        self.seen: dict[str, float] = {}

    def commit(self, site: SimInstall) -> None:
        versions = fleet_mod.tool_run(self.template, site, self.rng)
        self.ledger.add(c for v in versions for c in v)
        self.queues[site.install_id] += versions

    async def push_queue(
        self, site: SimInstall, traffic: Traffic, on_ack: Callable[[], object] | None = None
    ) -> bool:
        """Push what the install has queued (cut like the replicator); False on a failure."""
        queue = self.queues[site.install_id]
        while queue:
            batch, size = [], 0
            while queue and (not batch or size + len(queue[0]) <= PUSH_CHANGES):
                size += len(queue[0])
                batch.append(queue.pop(0))
            body = fleet_mod.push_body(site, batch, site.acked)
            if not await self._push(site, body, size, traffic):
                queue[:0] = batch
                site.knows_central = False
                return False
            if on_ack is not None:
                on_ack()
        return True

    async def request(
        self, method: str, path: str, traffic: Traffic, **kwargs: Any
    ) -> tuple[bytes, float] | None:
        """The body of a 200 answer and its seconds; None (counted as an error) otherwise."""
        started = time.perf_counter()
        try:
            async with self.client.request(method, path, **kwargs) as response:
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            traffic.errors[type(exc).__name__] += 1
            return None
        if response.status != 200:
            traffic.errors[f"{path.rsplit('/', 1)[-1]} {response.status}"] += 1
            return None
        return body, time.perf_counter() - started

    async def _push(self, site: SimInstall, body: bytes, size: int, traffic: Traffic) -> bool:
        headers = {**site.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"}
        answer = await self.request("POST", "/api/sync/push", traffic, data=body, headers=headers)
        if answer is None:
            return False
        traffic.push.append(answer[1])
        traffic.changes += size
        site.acked = json.loads(answer[0])["acked_db_version"]
        return True

    async def state(self, site: SimInstall, traffic: Traffic) -> bool:
        """A round's first request, as the replicator's: central's watermark for the install."""
        answer = await self.request("GET", "/api/sync/state", traffic, headers=site.headers)
        if answer is None:
            return False
        traffic.state.append(answer[1])
        site.acked = json.loads(answer[0])["acked_db_version"]
        site.knows_central = True
        return True

    async def pull(self, site: SimInstall, traffic: Traffic) -> None:
        more = True
        while more:
            params = {"since": site.cursor}
            answer = await self.request(
                "GET", "/api/sync/pull", traffic, params=params, headers=site.headers
            )
            if answer is None:
                site.knows_central = False
                return
            body, seconds = answer
            traffic.pull.append(seconds)
            # Checked on every pull, also one sent before the publication: its answer may
            # carry it, and the cursor moves past it.
            if (
                self.marker
                and self.published_at is not None
                and site.install_id not in self.seen
                and self.marker.encode() in body
            ):
                self.seen[site.install_id] = time.perf_counter() - self.published_at
            page = json.loads(body)
            site.cursor, more = page["cursor"], page["more"]

    async def drain(self, traffic: Traffic, attempts: int = 5) -> None:
        """Push everything still queued (after a failure), retrying a few times."""
        for _ in range(attempts):
            waiting = [s for s in self.sites if self.queues[s.install_id]]
            if not waiting:
                return
            await asyncio.gather(*(self.push_queue(s, traffic) for s in waiting))


# --- steady state and fan-out -----------------------------------------------------------------


@dataclass(frozen=True)
class Cores:
    """CPU seconds used so far by the whole machine, by PostgreSQL's server processes and by
    the fleet (this process); two of them, apart, are cores used in between."""

    machine: float
    postgres: float
    fleet: float

    @classmethod
    def now(cls) -> Cores:
        t = psutil.cpu_times()
        postgres = 0.0
        for proc in psutil.process_iter(["name", "cpu_times"]):
            times = proc.info["cpu_times"]
            if proc.info["name"] == "postgres" and times is not None:
                postgres += times.user + times.system
        own = os.times()
        return cls(t.user + t.nice + t.system, postgres, own.user + own.system)

    def per_second(self, before: Cores, seconds: float) -> Cores:
        return Cores(
            (self.machine - before.machine) / seconds,
            (self.postgres - before.postgres) / seconds,
            (self.fleet - before.fleet) / seconds,
        )


@dataclass
class Level:
    installs: int
    seconds: float  # of the measured window, after the ramp
    traffic: Traffic
    ramp: Traffic  # the first interval, when new installs make their first round
    central_cpu: float
    central_rss_mb: float
    pg_connections: int
    cores: Cores  # of the machine, PostgreSQL and the fleet, per second

    @property
    def holds(self) -> bool:
        return bool(self.traffic.push) and (
            _percentile(self.traffic.push, 0.99) < PUSH_P99_TARGET
            and not self.traffic.errors
            and not self.ramp.errors
        )


def _settle_fleet_heap() -> None:
    """Leave what the fleet holds so far (the ledger of every change sent: hundreds of thousands
    of objects) out of the garbage collector's full passes, which stop the fleet's event loop
    and would be measured as central's latency. :func:`run` gives them back at the end."""
    gc.collect()
    gc.freeze()


class Window:
    """A level's measured window: its seconds, and the cores used meanwhile."""

    def __init__(self, sampler: ResourceSampler) -> None:
        self._sampler = sampler
        self.seconds, self.central_cpu, self.cores = 0.0, 0.0, Cores(0.0, 0.0, 0.0)

    def open(self) -> None:
        self._sampler.sample()
        self._central, self._cores = self._sampler.cpu.get("central", 0.0), Cores.now()
        self._started = time.perf_counter()

    def close(self) -> None:
        self.seconds = time.perf_counter() - self._started
        self._sampler.sample()
        self.central_cpu = (self._sampler.cpu.get("central", 0.0) - self._central) / self.seconds
        self.cores = Cores.now().per_second(self._cores, self.seconds)


async def _steady(
    fleet: Fleet,
    count: int,
    sizes: Sizes,
    publish: Callable[[], Awaitable[str]],
    measured: Window,
) -> tuple[Traffic, Traffic, float | None]:
    """``count`` installs for one interval of ramp (new installs make their first round: they ask
    central's state and pull the shared tables whole), then ``sizes.duration`` seconds of steady
    state in the ``measured`` window. Returns (steady traffic, ramp traffic, when the
    announcement was published)."""
    ramp, traffic = Traffic(), Traffic()
    loop = asyncio.get_running_loop()
    start = loop.time()
    window = start + sizes.interval
    end = window + sizes.duration
    published: list[float] = []

    async def install(site: SimInstall, rng: random.Random) -> None:
        next_commit = start + rng.expovariate(1 / sizes.commit_every)
        next_pull = start + rng.uniform(0, sizes.interval)
        while (due := min(next_commit, next_pull)) < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            counted = traffic if loop.time() >= window else ramp
            # A round as the replicator makes one: push what is queued (asking central's state
            # first only when it is not known), pull.
            if next_commit <= due:
                fleet.commit(site)
                next_commit = due + rng.expovariate(1 / sizes.commit_every)
            counted.rounds += 1
            if site.knows_central or await fleet.state(site, counted):
                await fleet.push_queue(site, counted)
            await fleet.pull(site, counted)
            next_pull = loop.time() + sizes.interval

    async def measure() -> None:
        await asyncio.sleep(max(0.0, window - loop.time()))
        measured.open()

    async def announce() -> None:
        await asyncio.sleep(max(0.0, window + sizes.duration / 3 - loop.time()))
        published.append(time.perf_counter())
        await publish()

    sites = fleet.sites[:count]
    installs = (install(s, random.Random(i)) for i, s in enumerate(sites))
    await asyncio.gather(measure(), announce(), *installs)
    measured.close()
    if published:  # one more round each, so every install has pulled after the publication
        await asyncio.gather(*(fleet.pull(s, Traffic()) for s in sites))
    return traffic, ramp, published[0] if published else None


def _publisher(central: CentralProcess, fleet: Fleet) -> Callable[[], Awaitable[str]]:
    headers = session_headers(central.url, "admin", central.admin_password)

    async def publish() -> str:
        # A title no pull carried before: set as the marker before it can be pulled.
        title = f"Build {secrets.token_hex(6)} is out"
        fleet.marker, fleet.published_at = json.dumps(title), time.perf_counter()
        async with fleet.client.post(
            "/api/admin/announcements",
            json={"title": title, "body": "Please update before Friday."},
            headers=headers,
        ) as response:
            response.raise_for_status()
        return title

    return publish


def _level_line(level: Level) -> str:
    t, s = level.traffic, level.seconds
    errors, ramp_errors = sum(t.errors.values()), sum(level.ramp.errors.values())
    return (
        f"  N={level.installs:>5}: {t.rounds / s:6.1f} rounds/s {len(t.state) / s:6.1f} "
        f"states/s {len(t.push) / s:6.1f} pushes/s {t.changes / s:8,.0f} changes/s "
        f"{len(t.pull) / s:6.1f} pulls/s | push p50 "
        f"{statistics.median(t.push) * 1000 if t.push else float('nan'):5.0f} ms p99 "
        f"{_percentile(t.push, 0.99) * 1000:6.0f} ms | pull p50 "
        f"{statistics.median(t.pull) * 1000 if t.pull else float('nan'):5.0f} ms p99 "
        f"{_percentile(t.pull, 0.99) * 1000:6.0f} ms | errors {errors}"
        f"{' ' + str(dict(t.errors)) if errors else ''} | ramp: push p99 "
        f"{_percentile(level.ramp.push, 0.99) * 1000:6.0f} ms, pull p99 "
        f"{_percentile(level.ramp.pull, 0.99) * 1000:6.0f} ms, errors {ramp_errors}"
        f"{' ' + str(dict(level.ramp.errors)) if ramp_errors else ''} | cores: central "
        f"{level.central_cpu:.2f}, "
        f"PostgreSQL {level.cores.postgres:.2f}, fleet {level.cores.fleet:.2f}, machine "
        f"{level.cores.machine:.2f} of {os.cpu_count()} | central RSS "
        f"{level.central_rss_mb:.0f} MB | PG connections {level.pg_connections}"
        f"  {'holds' if level.holds else 'does not hold'}"
    )


async def run_steady(
    fleet: Fleet,
    central: CentralProcess,
    sizes: Sizes,
    sampler: ResourceSampler,
    watch: ConnectionWatch,
    progress: Progress,
) -> tuple[Section, Section]:
    section, fanout = Section("steady"), Section("fanout")
    section.add(
        f"steady: each install commits a tool run every {sizes.commit_every:g} s on average and "
        f"syncs then and every {sizes.interval:g} s (push, pull; central's state on an "
        f"install's first round and after a failure); per size, a ramp of {sizes.interval:g} s "
        f"(every install's first round) and {sizes.duration:g} s measured"
    )
    levels: list[Level] = []
    fanouts: list[tuple[int, dict[str, float], float | None]] = []
    for count in sorted(sizes.levels):
        if levels and not levels[-1].holds:  # larger sizes would only queue longer
            section.add(f"  (larger sizes not run: N={levels[-1].installs} did not hold)")
            break
        progress(f"steady: {count} installs for {sizes.interval + sizes.duration:g} s...")
        watch.peak = 0
        fleet.marker, fleet.published_at, fleet.seen = None, None, {}  # one during every size
        window = Window(sampler)
        publish = _publisher(central, fleet)
        _settle_fleet_heap()
        traffic, ramp, published = await _steady(fleet, count, sizes, publish, window)
        seconds = window.seconds
        fanouts.append((count, dict(fleet.seen), published))
        await fleet.drain(traffic)
        level = Level(
            count,
            seconds,
            traffic,
            ramp,
            window.central_cpu,
            sampler.peak_rss.get("central", 0) / 1e6,
            watch.peak,
            window.cores,
        )
        levels.append(level)
        section.add(_level_line(level))
        f = section.figures
        f[f"n{count}_push_p99_ms"] = _percentile(traffic.push, 0.99) * 1000
        f[f"n{count}_pushes_per_s"] = len(traffic.push) / seconds
        f[f"n{count}_changes_per_s"] = traffic.changes / seconds
        f[f"n{count}_errors"] = sum(traffic.errors.values())
        f[f"n{count}_ramp_push_p99_ms"] = _percentile(ramp.push, 0.99) * 1000
        f[f"n{count}_ramp_errors"] = sum(ramp.errors.values())
    count, seen, published = fanouts[-1]
    _fanout(fanout, count, seen, sizes, published)
    holding = [lv.installs for lv in levels if lv.holds]
    largest = max(holding, default=0)
    section.figures["largest_n"] = largest
    verdict = section.target("fleet", largest >= FLEET_TARGET)
    section.add(
        f"  largest N with push p99 < {PUSH_P99_TARGET * 1000:.0f} ms and no error: {largest} "
        f"(target {FLEET_TARGET:,})  {verdict}"
    )
    return section, fanout


def _fanout(
    section: Section, count: int, seen: dict[str, float], sizes: Sizes, published: float | None
) -> None:
    budget = sizes.interval + FANOUT_SLACK
    delays = sorted(seen.values())
    worst = delays[-1] if delays else float("nan")
    section.figures.update(installs=count, seen=len(delays), worst_s=worst)
    section.add(
        f"fanout: an announcement published during N={count}: seen by {len(delays)}/{count} "
        f"installs; p50 {statistics.median(delays) if delays else float('nan'):.2f} s, "
        f"slowest {worst:.2f} s after it was sent"
    )
    met = count >= FLEET_TARGET and len(delays) == count and worst <= budget
    verdict = section.target("within_budget", met)
    section.add(
        f"  every install within {budget:g} s (interval + {FANOUT_SLACK:g} s) at N >= "
        f"{FLEET_TARGET:,}  {verdict}"
    )
    ok = section.check("seen_by_all", published is not None and len(delays) == count)
    section.add(f"  every install saw it  {ok}")


# --- Monday morning ----------------------------------------------------------------------------


async def run_monday(fleet: Fleet, sizes: Sizes, progress: Progress) -> Section:
    section = Section("monday")
    sites = fleet.sites[: sizes.monday_installs]
    for site in sites:
        while sum(len(v) for v in fleet.queues[site.install_id]) < sizes.monday_changes:
            fleet.commit(site)
    total = sum(len(v) for s in sites for v in fleet.queues[s.install_id])
    progress(f"monday: {len(sites)} installs with {total:,} queued changes, all at once...")
    traffic = Traffic()
    first_ack: dict[str, float] = {}
    started = time.perf_counter()

    async def come_back(site: SimInstall) -> None:
        if not await fleet.state(site, traffic):
            return

        def acked() -> None:
            first_ack.setdefault(site.install_id, time.perf_counter() - started)

        await fleet.push_queue(site, traffic, on_ack=acked)

    await asyncio.gather(*(come_back(s) for s in sites))
    seconds = time.perf_counter() - started
    await fleet.drain(traffic)
    acks = sorted(first_ack.values())
    median = statistics.median(acks) if acks else float("nan")
    slowest = acks[-1] if acks else float("nan")
    section.figures.update(
        installs=len(sites),
        changes=total,
        seconds=seconds,
        rate=total / seconds,
        first_ack_median_s=median,
        first_ack_max_s=slowest,
        errors=sum(traffic.errors.values()),
    )
    section.add(
        f"monday: {len(sites)} installs back at once with {total:,} queued changes "
        f"({sizes.monday_changes:,} each, pushes of up to {PUSH_CHANGES:,})"
    )
    verdict = section.target("all_merged", seconds < MONDAY_SECONDS and not traffic.errors)
    section.add(
        f"  everything merged in {seconds:.1f} s = {total / seconds:,.0f} changes/s, errors "
        f"{sum(traffic.errors.values())}{' ' + str(dict(traffic.errors)) if traffic.errors else ''}"
        f" (target < {MONDAY_SECONDS:.0f} s)  {verdict}"
    )
    verdict = section.target("fairness", len(acks) == len(sites) and slowest <= FAIRNESS * median)
    section.add(
        f"  first acknowledgement: median {median:.2f} s, slowest {slowest:.2f} s "
        f"(target <= {FAIRNESS:g}x median)  {verdict}"
    )
    return section


# --- several central processes -----------------------------------------------------------------


async def _pull_heavy(central: CentralProcess, template: Template, sizes: Sizes) -> float:
    """Pulls/s of ``pull_installs`` installs each pulling everything shared again and again."""
    sites = fleet_mod.enroll(central.dsn, USER, sizes.pull_installs)
    async with _session(central.url, sizes) as client:
        fleet = Fleet(client, template, sites, seed=7)
        writer = sites[0]
        for _ in range(20):  # shared rows to pull: glossary terms
            versions = fleet_mod.tool_run(template, writer, fleet.rng)
            fleet.queues[writer.install_id] += versions
        traffic = Traffic()
        await fleet.push_queue(writer, traffic)
        loop = asyncio.get_running_loop()
        end = loop.time() + sizes.duration

        async def puller(site: SimInstall) -> None:
            while loop.time() < end:
                site.cursor = 0
                await fleet.pull(site, traffic)

        await asyncio.gather(*(puller(s) for s in sites[1:]))
        if traffic.errors:
            raise RuntimeError(f"pull-heavy load failed: {dict(traffic.errors)}")
        return len(traffic.pull) / sizes.duration


def run_workers(
    dsn: str, template: Template, sizes: Sizes, workdir: Path, say: Progress
) -> Section:
    section = Section("workers")
    rates = {}
    for workers in (1, 2):
        say(f"workers: pull-heavy load on `locanext central --workers {workers}`...")
        args = ["--workers", str(workers)]
        with central_process(dsn, workdir, f"workers-{workers}", args) as central:
            wait_ready(central)
            rates[workers] = _run_fleet(_pull_heavy(central, template, sizes))
    ratio = rates[2] / rates[1]
    section.figures.update(one=rates[1], two=rates[2], ratio=ratio)
    section.add(
        f"workers: {sizes.pull_installs - 1} installs pulling everything shared, back to back, "
        f"{sizes.duration:g} s: --workers 1 {rates[1]:,.0f} pulls/s, --workers 2 "
        f"{rates[2]:,.0f} pulls/s = {ratio:.2f}x (on {os.cpu_count()} cores shared with "
        "the fleet and PostgreSQL)"
    )
    return section


# --- the mirror afterwards ---------------------------------------------------------------------


def check_mirror(dsn: str, fleet: Fleet, data_dir: Path) -> Section:
    section = Section("mirror")
    ok, detail = fleet_mod.up_tables_exact(dsn, fleet.ledger, fleet.sites)
    section.add(f"mirror: {fleet.ledger.changes:,} changes sent by the fleet")
    section.add(f"  up tables: {detail}  {section.check('exactly_once', ok)}")
    ok, detail = fleet_mod.shared_equals_hub(dsn, fleet.ledger, data_dir)
    section.add(f"  shared: {detail}  {section.check('equals_hub', ok)}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_database_size(current_database()), (SELECT count(*) FROM operations)"
        ).fetchone()
    size, operations = row if row else (0, 0)
    if operations:
        per_million = size / operations  # bytes per operation = MB per million operations
        section.figures.update(
            database_mb=size / 1e6, operations=operations, mb_per_million=per_million
        )
        section.add(
            f"  storage: {size / 1e6:,.0f} MB for {operations:,} tool runs with their events = "
            f"{per_million:,.0f} MB per million runs (whole database, indexes included)"
        )
        section.add(f"  per million runs, the largest: {_largest_relations(dsn, operations)}")
    return section


def _largest_relations(dsn: str, operations: int, shown: int = 6) -> str:
    """The tables and indexes taking most of the space, in MB per million tool runs."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_table_size(c.oid)"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            " ORDER BY 2 DESC LIMIT %s",
            (shown,),
        ).fetchall()
    return ", ".join(f"{name} {size / operations:,.0f}" for name, size in rows)


# --- all ---------------------------------------------------------------------------------------


async def _drive(
    central: CentralProcess, template: Template, sizes: Sizes, workdir: Path, say: Progress
) -> list[Section]:
    count = max(max(sizes.levels), sizes.monday_installs)
    sites = fleet_mod.enroll(central.dsn, USER, count)
    async with _session(central.url, sizes) as client:
        fleet = Fleet(client, template, sites, seed=len(sites))
        with ResourceSampler(every=0.5) as sampler, ConnectionWatch(central.dsn) as watch:
            sampler.watch("central", central.child.process.pid)
            steady, fanout = await run_steady(fleet, central, sizes, sampler, watch, say)
            monday = await run_monday(fleet, sizes, say)
    say("mirror: checking...")
    return [steady, fanout, monday, check_mirror(central.dsn, fleet, workdir)]


def run(
    *,
    dsn: str,
    sizes: Sizes | None = None,
    workers: int = 1,
    compare_workers: bool = True,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the load bench against a `locanext central` (``workers`` processes) on a scratch
    database of the server ``dsn``."""
    sizes = sizes or Sizes()
    say = progress or (lambda _line: None)
    with tempfile.TemporaryDirectory(prefix="locanext-bench-load-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        args = ["--workers", str(workers)] if workers > 1 else []
        with central_process(dsn, base, "load", args) as central:
            template = fleet_mod.record_template(base / "template", USER)
            wait_ready(central)
            try:
                sections = _run_fleet(_drive(central, template, sizes, base, say))
            finally:
                gc.unfreeze()
        if compare_workers:
            sections.append(run_workers(dsn, template, sizes, base, say))
    return Report(sections)
