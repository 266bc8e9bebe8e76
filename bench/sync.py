"""`locanext bench sync`: how fast changes reach central, next to baselines measured in this run.

Three parts, each in a scratch database ``locanext_bench_<hex>`` created on the given PostgreSQL
server and dropped at the end (also on error):

* **ingest**: ``N`` generated ``events`` changes of one site merged in batches of 5,000
  (:func:`central.merge.begin_merge` + :func:`central.batch_merge.merge_batch`, one transaction
  per batch), next to a bare ``COPY`` of the same staging tuples into an unindexed table, same
  batches, one transaction each, and next to cr-sqlite's own merge of the same batches into a
  SQLite hub (``INSERT INTO crsql_changes``, one transaction each). Targets: ingest at least 30%
  of the bare COPY rate, and at least cr-sqlite's rate.
* **catchup**: an engine.db holding about ``changes`` own changes (transactions of 100 ``events``
  rows) is enrolled with a real ``locanext central`` process and drained by a real
  ``locanext sync --once`` process; wall time and the peak RSS of both processes (psutil, every
  0.1 s, children included); afterwards the mirror must hold every row and every cell exactly
  once. Targets: under 2 minutes, under 300 MB per process.
* **latency**: a :class:`replicator.loop.Syncer` in this process on an enrolled engine.db; one
  operation committed at a time, the mirror polled every 5 ms until it shows it. Targets: p50
  under 200 ms, p99 under 1 s.

None of this is a timed test: the figures are printed with their baseline or target and PASS or
MISS. Correctness checks (the mirror holds what was written) are reported as OK or FAILED.
"""

from __future__ import annotations

import json
import math
import secrets
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from central import db as central_db
from central.admin_client import session_headers
from central.batch_merge import merge_batch, row_heads, staging_rows
from central.db import make_engine, migrate
from central.merge import begin_merge
from engine.db import Database
from engine.operations import OperationLog
from replicator import link
from replicator.loop import Syncer
from replicator.wire import Change, pk
from shell.processes import Child, command, free_port

PARTS = ("ingest", "catchup", "latency")
BATCH = 5_000
ROWS_PER_TRANSACTION = 100

INGEST_TARGET = 0.30  # of the bare COPY rate
HUB_TARGET = 1.0  # of cr-sqlite's own merge into a SQLite hub
CATCHUP_SECONDS = 120.0
RSS_LIMIT_MB = 300.0
P50_TARGET, P99_TARGET = 0.200, 1.0

USER, USER_PASSWORD = "bench", "bench-password"

_EVENT_COLUMNS = ("install_id", "time", "level", "component", "message", "data", "value")
_INSERT_EVENT = (
    "INSERT INTO events (id, install_id, time, level, component, message, data, value)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_LEVELS = ("info", "info", "warning", "error")
_COMPONENTS = ("tools.xlsx_transfer", "tools.quick_search", "engine.tasks", "replicator")

_COPY_TABLE = """
CREATE TABLE bench_copy (
    idx integer, tbl text, pk bytea, pkv text, cid text, vtype smallint, vrank smallint,
    vint bigint, vreal double precision, vbytes bytea, col_version bigint, site_id bytea,
    cl bigint, seq integer, mval text, top bigint, low bigint
)
"""
_COPY = (
    "COPY bench_copy (idx, tbl, pk, pkv, cid, vtype, vrank, vint, vreal, vbytes, col_version,"
    " site_id, cl, seq, mval, top, low) FROM STDIN"
)

Progress = Callable[[str], None]


# --- the report --------------------------------------------------------------------------------


@dataclass
class Section:
    """One part of the bench: its figures (plain numbers), its correctness checks, its lines."""

    name: str
    figures: dict[str, float] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    targets: dict[str, bool] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)

    def target(self, name: str, met: bool) -> str:
        self.targets[name] = met
        return "PASS" if met else "MISS"

    def check(self, name: str, ok: bool) -> str:
        self.checks[name] = ok
        return "OK" if ok else "FAILED"


@dataclass
class Report:
    sections: list[Section]

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    @property
    def checks_passed(self) -> bool:
        return all(ok for s in self.sections for ok in s.checks.values())

    def lines(self) -> list[str]:
        out: list[str] = []
        for section in self.sections:
            out += section.lines
        verdicts = [
            f"{s.name}.{name} {'PASS' if met else 'MISS'}"
            for s in self.sections
            for name, met in s.targets.items()
        ]
        out.append("targets: " + ", ".join(verdicts))
        out.append("checks: " + ("all OK" if self.checks_passed else "SOME FAILED"))
        return out


# --- helpers -----------------------------------------------------------------------------------


@contextmanager
def scratch_database(server_dsn: str) -> Iterator[str]:
    """A scratch database ``locanext_bench_<hex>``, as a libpq URL (psycopg and the CLI take it)."""
    with central_db.scratch_database(server_dsn, "locanext_bench") as dsn:
        yield make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


def _event(i: int, install_id: str) -> tuple:
    """Values of one events row (without its id), in _EVENT_COLUMNS order."""
    return (
        install_id,
        f"2024-05-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.{i % 1000:03d}+00:00",
        _LEVELS[i % len(_LEVELS)],
        _COMPONENTS[i % len(_COMPONENTS)],
        f"run {i}: matched {i % 977} of 1000 strings in strings_{i % 50}.xlsx",
        json.dumps({"file": f"strings_{i % 50}.xlsx", "rows": i % 1000, "lang": "ko-en"}),
        i * 0.25,
    )


def _mb(value: float) -> float:
    return value / 1_000_000


def _percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class ResourceSampler:
    """Peak RSS and last seen CPU time of some processes (children included), every ``every`` s,
    from a background thread."""

    def __init__(self, every: float = 0.1) -> None:
        self._every = every
        self._procs: dict[str, psutil.Process] = {}
        self.peak_rss: dict[str, int] = {}
        self.cpu: dict[str, float] = {}
        self.samples = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def watch(self, name: str, pid: int) -> None:
        with self._lock:
            self._procs[name] = psutil.Process(pid)
            self.peak_rss.setdefault(name, 0)
        self.sample()

    def __enter__(self) -> ResourceSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            procs = dict(self._procs)
        for name, proc in procs.items():
            rss, cpu = 0, 0.0
            try:
                family = [proc, *proc.children(recursive=True)]
            except psutil.Error:
                continue
            for member in family:
                try:
                    rss += member.memory_info().rss
                    times = member.cpu_times()
                    cpu += times.user + times.system
                except psutil.Error:
                    pass
            with self._lock:
                self.peak_rss[name] = max(self.peak_rss.get(name, 0), rss)
                if cpu:
                    self.cpu[name] = max(self.cpu.get(name, 0.0), cpu)
                self.samples += 1


@dataclass
class CentralProcess:
    url: str
    dsn: str
    child: Child
    admin_password: str


@contextmanager
def central_process(
    server_dsn: str, workdir: Path, name: str, args: Sequence[str] = ()
) -> Iterator[CentralProcess]:
    """A `locanext central` process on a scratch database, both gone after the block; call
    :func:`wait_ready` before talking to it (its start overlaps the caller's own preparations)."""
    admin_password = secrets.token_urlsafe(12)
    with scratch_database(server_dsn) as dsn:
        port = free_port()
        child = Child(
            f"central ({name})",
            ["central", "--dsn", dsn, "--port", str(port), *args],
            workdir / f"central-{name}.log",
            {"LOCANEXT_CENTRAL_ADMIN_PASSWORD": admin_password},
        )
        try:
            yield CentralProcess(f"http://127.0.0.1:{port}", dsn, child, admin_password)
        finally:
            child.stop()


def wait_ready(central: CentralProcess) -> None:
    """Wait until central answers, then create the bench user."""
    central.child.wait_http(f"{central.url}/api/health", timeout=120)
    response = httpx.post(
        f"{central.url}/api/admin/users",
        json={"username": USER, "password": USER_PASSWORD},
        headers=session_headers(central.url, "admin", central.admin_password),
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(f"cannot create the bench user: {response.status_code} {response.text}")


# --- 1. ingest ---------------------------------------------------------------------------------


def ingest_changes(count: int, site_id: bytes) -> tuple[list[tuple[Change, str]], int]:
    """``count`` changes inserting events rows (7 cells each, 100 rows per db_version), each with
    its decoded key; and how many rows they touch."""
    install_id = site_id.hex()
    out: list[tuple[Change, str]] = []
    row = 0
    while len(out) < count:
        row_id = str(uuid.uuid4())
        packed = pk.pack([row_id])
        version = 1 + row // ROWS_PER_TRANSACTION
        first_seq = (row % ROWS_PER_TRANSACTION) * len(_EVENT_COLUMNS)
        for j, (cid, value) in enumerate(zip(_EVENT_COLUMNS, _event(row, install_id), strict=True)):
            if len(out) == count:
                break
            change = Change(
                table="events",
                pk=packed,
                cid=cid,
                val=value,
                col_version=1,
                db_version=version,
                site_id=site_id,
                cl=1,
                seq=first_seq + j,
            )
            out.append((change, row_id))
        row += 1
    return out, row


def _batches(items: Sequence, size: int) -> list[Sequence]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _bare_copy(dsn: str, batches: list[Sequence[tuple[Change, str]]]) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute(_COPY_TABLE)
        conn.commit()
        started = time.perf_counter()
        for batch in batches:
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(_COPY) as copy:
                for row in staging_rows(batch, row_heads(batch)):
                    copy.write_row(row)
        elapsed = time.perf_counter() - started
        copied = conn.execute("SELECT count(*) FROM bench_copy").fetchone()
        conn.execute("DROP TABLE bench_copy")
    expected = sum(len(b) for b in batches)
    if copied is None or copied[0] != expected:
        raise RuntimeError(f"bare COPY stored {copied} rows, expected {expected}")
    return elapsed


def _merge(dsn: str, batches: list[Sequence[tuple[Change, str]]]) -> tuple[float, int, int]:
    """Merge the batches; (seconds, events rows, events clocks) afterwards."""
    engine = make_engine(dsn, pool_size=1)
    try:
        migrate(engine)
        started = time.perf_counter()
        for batch in batches:
            with engine.begin() as conn:
                version = begin_merge(conn)
                merge_batch(conn, batch, version)
        elapsed = time.perf_counter() - started
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
            clocks = conn.execute(
                text("SELECT count(*) FROM crr_clock WHERE tbl = 'events'")
            ).scalar_one()
    finally:
        engine.dispose()
    return elapsed, rows, clocks


_HUB_INSERT = (
    'INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version, site_id, cl, seq)'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _hub_merge(batches: list[Sequence[tuple[Change, str]]]) -> tuple[float, int, int]:
    """cr-sqlite's own merge of the same batches into a SQLite hub (an engine.db, one
    transaction per batch); (seconds, events rows, events cell clocks) afterwards."""
    with tempfile.TemporaryDirectory(prefix="locanext-bench-hub-") as tmp:
        hub = Database(Path(tmp) / "hub.db")
        try:
            started = time.perf_counter()
            for batch in batches:
                with hub.write() as conn:
                    conn.executemany(_HUB_INSERT, [change.as_row() for change, _ in batch])
            elapsed = time.perf_counter() - started
            with hub.read() as conn:
                rows = conn.execute("SELECT count(*) FROM events").fetchone()[0]
                clocks = conn.execute(
                    "SELECT count(*) FROM crsql_changes WHERE \"table\" = 'events'"
                ).fetchone()[0]
        finally:
            hub.close()
    return elapsed, rows, clocks


def run_ingest(server_dsn: str, changes: int, progress: Progress) -> Section:
    section = Section("ingest")
    site_id = uuid.uuid4().bytes
    started = time.perf_counter()
    items, rows = ingest_changes(changes, site_id)
    generated = time.perf_counter() - started
    batches = _batches(items, BATCH)
    progress(f"ingest: {changes:,} changes generated in {generated:.1f} s; bare COPY...")
    with scratch_database(server_dsn) as dsn:
        copy_s = _bare_copy(dsn, batches)
        progress(f"ingest: bare COPY {copy_s:.2f} s; merging...")
        merge_s, mirror_rows, clocks = _merge(dsn, batches)
    progress(f"ingest: central merged in {merge_s:.2f} s; cr-sqlite hub...")
    hub_s, hub_rows, hub_clocks = _hub_merge(batches)
    copy_rate, merge_rate, hub_rate = changes / copy_s, changes / merge_s, changes / hub_s
    ratio = merge_rate / copy_rate
    hub_ratio = merge_rate / hub_rate
    section.figures.update(
        changes=changes,
        rows=rows,
        copy_seconds=copy_s,
        copy_rate=copy_rate,
        merge_seconds=merge_s,
        merge_rate=merge_rate,
        ratio=ratio,
        hub_seconds=hub_s,
        hub_rate=hub_rate,
        hub_ratio=hub_ratio,
    )
    section.add(
        f"ingest: {changes:,} events changes ({rows:,} rows) of one site, "
        f"batches of {BATCH:,}, one transaction each"
    )
    section.add(
        f"  bare COPY of the staging tuples (unindexed table): {copy_rate:,.0f} changes/s "
        f"({copy_s:.2f} s)"
    )
    section.add(
        f"  begin_merge + merge_batch:                         {merge_rate:,.0f} changes/s "
        f"({merge_s:.2f} s)"
    )
    section.add(
        f"  cr-sqlite into a SQLite hub (INSERT INTO crsql_changes): {hub_rate:,.0f} changes/s "
        f"({hub_s:.2f} s)"
    )
    verdict = section.target("ingest_ratio", ratio >= INGEST_TARGET)
    section.add(f"  ingest = {ratio:.0%} of bare COPY (target >= {INGEST_TARGET:.0%})  {verdict}")
    verdict = section.target("hub_ratio", hub_ratio >= HUB_TARGET)
    section.add(
        f"  central / cr-sqlite = {hub_ratio:.2f}x (target >= {HUB_TARGET:.1f}x)  {verdict}"
    )
    ok = section.check("mirror_exact", mirror_rows == rows and clocks == changes)
    section.add(
        f"  mirror: {mirror_rows:,} events rows, {clocks:,} cell clocks "
        f"(expected {rows:,} / {changes:,})  {ok}"
    )
    ok = section.check("hub_exact", hub_rows == rows and hub_clocks == changes)
    section.add(f"  hub:    {hub_rows:,} events rows, {hub_clocks:,} cell clocks  {ok}")
    return section


# --- 2. catch-up -------------------------------------------------------------------------------


def build_install(data_dir: Path, changes: int) -> tuple[int, int, float]:
    """An engine.db with about ``changes`` own changes queued, in transactions of 100 events rows;
    returns (rows, changes, seconds)."""
    rows = math.ceil(changes / len(_EVENT_COLUMNS))
    started = time.perf_counter()
    db = Database(data_dir / "engine.db")
    try:
        install_id = db.install_id
        for first in range(0, rows, ROWS_PER_TRANSACTION):
            last = min(rows, first + ROWS_PER_TRANSACTION)
            values = [(str(uuid.uuid4()), *_event(i, install_id)) for i in range(first, last)]
            with db.write() as conn:
                conn.executemany(_INSERT_EVENT, values)
        with db.read() as conn:
            queued = conn.execute(
                "SELECT count(*) FROM crsql_changes WHERE site_id = crsql_site_id()"
            ).fetchone()[0]
    finally:
        db.close()
    return rows, queued, time.perf_counter() - started


def _enroll(data_dir: Path, central_url: str) -> tuple[str, int]:
    """Enroll the install; (install id, its newest own db_version)."""
    db = Database(data_dir / "engine.db")
    try:
        link.enroll(db, central_url, USER, USER_PASSWORD, install_name="bench")
        with db.read() as conn:
            top = conn.execute(
                "SELECT coalesce(max(db_version), 0) FROM crsql_changes"
                " WHERE site_id = crsql_site_id()"
            ).fetchone()[0]
        return db.install_id, int(top)
    finally:
        db.close()


def run_catchup(server_dsn: str, changes: int, workdir: Path, progress: Progress) -> Section:
    section = Section("catchup")
    data_dir = workdir / "catchup"
    with central_process(server_dsn, workdir, "catchup") as central:
        progress(f"catchup: writing about {changes:,} changes into {data_dir}/engine.db...")
        rows, queued, build_s = build_install(data_dir, changes)
        progress(f"catchup: {queued:,} changes ({rows:,} rows) written in {build_s:.1f} s")
        wait_ready(central)
        install_id, top = _enroll(data_dir, central.url)
        progress("catchup: running `locanext sync --once`...")
        wall, code, sampler = _timed_sync(data_dir, central.child, workdir)
        mirror_rows, clocks, acked = _mirror_state(central.dsn, install_id)
    section.figures.update(
        changes=queued,
        rows=rows,
        build_seconds=build_s,
        seconds=wall,
        rate=queued / wall,
        sync_rss_mb=_mb(sampler.peak_rss.get("sync", 0)),
        central_rss_mb=_mb(sampler.peak_rss.get("central", 0)),
        sync_cpu_seconds=sampler.cpu.get("sync", 0.0),
        central_cpu_seconds=sampler.cpu.get("central", 0.0),
        mirror_rows=mirror_rows,
    )
    f = section.figures
    section.add(
        f"catchup: {queued:,} own changes ({rows:,} events rows, {ROWS_PER_TRANSACTION} rows per "
        f"transaction, written in {build_s:.1f} s)"
    )
    section.add("  drained by `locanext sync --once` against `locanext central` (two processes)")
    verdict = section.target("wall_time", code == 0 and wall < CATCHUP_SECONDS)
    section.add(
        f"  wall time {wall:.1f} s = {f['rate']:,.0f} changes/s, exit code {code} "
        f"(target < {CATCHUP_SECONDS:.0f} s)  {verdict}"
    )
    for name in ("sync", "central"):
        rss = f[f"{name}_rss_mb"]
        verdict = section.target(f"{name}_rss", 0 < rss < RSS_LIMIT_MB)
        section.add(
            f"  peak RSS {name:7} {rss:6.0f} MB, CPU {f[f'{name}_cpu_seconds']:.1f} s "
            f"(target < {RSS_LIMIT_MB:.0f} MB)  {verdict}"
        )
    section.add(
        f"  (sampled every 0.1 s, {sampler.samples} samples; CPU as last sampled, children "
        "included; PostgreSQL's own processes are not counted)"
    )
    rest = wall - f["sync_cpu_seconds"] - f["central_cpu_seconds"]
    section.add(
        f"  time: sync CPU {f['sync_cpu_seconds']:.1f} s + central CPU "
        f"{f['central_cpu_seconds']:.1f} s + the rest {rest:.1f} s (PostgreSQL, round trips, "
        "waiting for a core) = wall"
    )
    ok = section.check(
        "mirror_exact", mirror_rows == rows and clocks == queued and acked == top and code == 0
    )
    section.add(
        f"  mirror: {mirror_rows:,} events rows, {clocks:,} cell clocks, acked db_version "
        f"{acked} (expected {rows:,} / {queued:,} / {top})  {ok}"
    )
    return section


def _timed_sync(
    data_dir: Path, central: Child, workdir: Path
) -> tuple[float, int, ResourceSampler]:
    log_path = workdir / "sync-catchup.log"
    with ResourceSampler() as sampler, open(log_path, "wb") as log:
        sampler.watch("central", central.process.pid)
        started = time.perf_counter()
        process = subprocess.Popen(
            command("sync", "--once", "--data-dir", str(data_dir)),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        with suppress(psutil.Error):
            sampler.watch("sync", process.pid)
        try:
            code = process.wait(timeout=max(600.0, 5 * CATCHUP_SECONDS))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = -9
        wall = time.perf_counter() - started
    if code != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError("`locanext sync --once` failed:\n" + "\n".join(tail))
    return wall, code, sampler


def _mirror_state(dsn: str, install_id: str) -> tuple[int, int, int]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM events").fetchone()
        clocks = conn.execute("SELECT count(*) FROM crr_clock WHERE tbl = 'events'").fetchone()
        acked = conn.execute(
            "SELECT acked_db_version FROM enrollments WHERE install_id = %s", (install_id,)
        ).fetchone()
    assert rows is not None and clocks is not None
    return rows[0], clocks[0], acked[0] if acked else -1


# --- 3. latency --------------------------------------------------------------------------------


def run_latency(server_dsn: str, samples: int, workdir: Path, progress: Progress) -> Section:
    section = Section("latency")
    interval = 0.25
    with central_process(server_dsn, workdir, "latency") as central:
        wait_ready(central)
        db = Database(workdir / "latency" / "engine.db")
        syncer = Syncer(db, interval=interval)
        try:
            link.enroll(db, central.url, USER, USER_PASSWORD, install_name="bench-latency")
            syncer.start()
            _wait_first_round(db)
            progress(f"latency: {samples} operations, one at a time...")
            latencies = _measure(db, central.dsn, samples)
        finally:
            syncer.stop()
            db.close()
    p50, p99 = statistics.median(latencies), _percentile(latencies, 0.99)
    section.figures.update(
        samples=len(latencies),
        p50_ms=p50 * 1000,
        p99_ms=p99 * 1000,
        min_ms=min(latencies) * 1000,
        max_ms=max(latencies) * 1000,
    )
    section.add(
        f"latency: commit of one operation -> visible in the mirror, {len(latencies)} samples "
        f"(Syncer interval {interval} s, woken by the commit; mirror polled every 5 ms)"
    )
    verdict = section.target("p50", p50 < P50_TARGET)
    section.add(f"  p50 {p50 * 1000:6.0f} ms (target < {P50_TARGET * 1000:.0f} ms)  {verdict}")
    verdict = section.target("p99", p99 < P99_TARGET)
    section.add(f"  p99 {p99 * 1000:6.0f} ms (target < {P99_TARGET * 1000:.0f} ms)  {verdict}")
    section.add(f"  min {min(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    return section


def _wait_first_round(db: Database, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.read() as conn:
            if conn.execute("SELECT last_success FROM sync_state WHERE id = 1").fetchone()[0]:
                return
        time.sleep(0.02)
    raise TimeoutError("the Syncer never completed a round")


def _measure(db: Database, dsn: str, samples: int, timeout: float = 15.0) -> list[float]:
    operations = OperationLog(db)
    latencies = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(samples):
            started = time.perf_counter()
            op_id = operations.start(tool="bench", function="latency", username=USER)
            while not conn.execute("SELECT 1 FROM operations WHERE id = %s", (op_id,)).fetchone():
                if time.perf_counter() - started > timeout:
                    raise TimeoutError(f"operation {op_id} not in the mirror after {timeout} s")
                time.sleep(0.005)
            latencies.append(time.perf_counter() - started)
    return latencies


# --- all ---------------------------------------------------------------------------------------


def run(
    *,
    dsn: str,
    changes: int = 1_000_000,
    ingest_changes: int = 200_000,
    samples: int = 100,
    only: str | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the parts (all, or ``only`` one of :data:`PARTS`) and return their report."""
    if only is not None and only not in PARTS:
        raise ValueError(f"unknown part {only!r}; choose one of {', '.join(PARTS)}")
    say = progress or (lambda _line: None)
    parts = [only] if only else list(PARTS)
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="locanext-bench-sync-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        if "ingest" in parts:
            sections.append(run_ingest(dsn, ingest_changes, say))
        if "catchup" in parts:
            sections.append(run_catchup(dsn, changes, base, say))
        if "latency" in parts:
            sections.append(run_latency(dsn, samples, base, say))
    return Report(sections)
