"""A hypothesis state machine of replication: 2 to 6 installs (real engine.db files with cr-sqlite)
and central on a real PostgreSQL, talking through central's own push and pull code.

Rules edit shared (glossary) and upstream (operations, events) tables with values of every SQLite
type, push and pull through a network that drops, duplicates and replays deliveries out of order,
cut installs off and heal them, crash central in the middle of a merge and an install in the
middle of a pull, and restart installs. Invariants hold after every step; ``teardown`` heals
everything, syncs to a fixpoint and checks convergence against a cr-sqlite hub fed every change.

The machine is shared by ``locanext fuzz`` (:mod:`locanext.fuzz.campaign`) and pytest
(``tests/properties/test_replication_machine.py``); both point :attr:`ReplicationMachine.central`
at a migrated central database first.
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import Engine, text

from central import ingest, pull
from central.accounts import Install
from central.errors import CentralError
from engine import sync_state
from engine.db import Database
from engine.migrations import SCHEMA_VERSION
from locanext.fuzz import oracle
from replicator import inbox, outbox
from replicator.wire import PullResponse, PushRequest

# Small pushes so transactions are split into parts and passes span several pushes.
PUSH_TARGET, PUSH_LIMIT, PULL_LIMIT = 12, 20, 15
GLOSSARY_KEYS = ["g0", "g1", "g2", "g3"]
GLOSSARY_COLUMNS = ["source", "translation", "note"]

any_value = st.one_of(
    st.none(),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63)]),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0.0, -0.0, 5e-324, 1.7976931348623157e308, float("-inf")]),
    st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=6),
    st.sampled_from(["", "검", "😀"]),
    st.binary(max_size=6),
    st.sampled_from([b"", b"\x00" * 3]),
)
glossary_text = st.sampled_from(["", "a", "b", "검", "sword", "😀 non-BMP"])
# What the network does with one push of a pass.
DELIVERY = st.sampled_from(["deliver", "deliver", "deliver", "duplicate", "drop", "crash"])


@dataclass
class Site:
    name: str
    path: Path
    db: Database
    install: Install
    connected: bool = True
    sent: list[PushRequest] = field(default_factory=list)  # what the network may replay
    seen_acked: int = 0
    seen_local_acked: int = 0
    seen_cursor: int = 0

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # hypothesis prints every drawn install in a failure's steps: its name says enough
        printer.text(self.name)


class ReplicationMachine(RuleBasedStateMachine):
    ops = Bundle("operations")
    INSTALLS = (2, 6)  # how many installs an example starts (`locanext fuzz --installs` fixes it)
    # A migrated central database; every example empties its tables first.
    central: ClassVar[Engine | None] = None

    @staticmethod
    def on_example_end() -> None:
        """Called after each example (`locanext fuzz` counts them for its progress display)."""

    def __init__(self) -> None:
        super().__init__()
        with self._central().begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE installs, sessions, operations, events, glossary_terms, users,"
                    " announcements, app_releases,"
                    " crr_clock, parked_changes, partial_versions, merge_conflicts, enrollments"
                )
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="locanext-fuzz-")
        self.sites: list[Site] = []
        self.bulks: dict[str, int] = {}  # bulk tag -> rows written in that one transaction
        self.operation_ids: set[str] = set()
        self.deleted: set[str] = set()  # glossary keys deleted and not re-inserted since

    # --- setup ----------------------------------------------------------------------------
    @initialize(data=st.data())
    def start_installs(self, data) -> None:
        count = data.draw(st.integers(*self.INSTALLS), label="installs")
        for i in range(count):
            path = Path(self._tmp.name) / f"pc{i}" / "engine.db"
            db = Database(path)
            with self._central().begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO enrollments (install_id, username, token_hash)"
                        " VALUES (:i, 'tester', :t)"
                    ),
                    {"i": db.install_id, "t": secrets.token_hex(16)},
                )
            self.sites.append(Site(f"pc{i}", path, db, Install(db.install_id, "tester", 0)))
        note(f"{count} installs")

    @classmethod
    def _central(cls) -> Engine:
        assert cls.central is not None, "set ReplicationMachine.central to a central database"
        return cls.central

    def _site(self, data: st.DataObject, connected: bool = False) -> Site:
        choices = [s for s in self.sites if s.connected] if connected else self.sites
        return data.draw(st.sampled_from(choices), label="install")

    # --- edits ----------------------------------------------------------------------------
    @rule(
        data=st.data(),
        key=st.sampled_from(GLOSSARY_KEYS),
        column=st.sampled_from(GLOSSARY_COLUMNS),
        value=glossary_text,
    )
    def edit_glossary(self, data, key: str, column: str, value: str) -> None:
        site = self._site(data)
        with site.db.write() as conn:
            existed = conn.execute("SELECT 1 FROM glossary_terms WHERE id = ?", (key,)).fetchone()
            conn.execute(
                f"INSERT INTO glossary_terms (id, {column}) VALUES (?, ?)"
                f" ON CONFLICT (id) DO UPDATE SET {column} = excluded.{column}",
                (key, value),
            )
        if not existed:
            self.deleted.discard(key)  # a (re-)insert
        note(f"{site.name}: glossary {key}.{column} = {value!r}")

    @rule(data=st.data(), key=st.sampled_from(GLOSSARY_KEYS))
    def delete_glossary(self, data, key: str) -> None:
        site = self._site(data)
        with site.db.write() as conn:
            gone = conn.execute("DELETE FROM glossary_terms WHERE id = ?", (key,)).rowcount
        if gone:
            self.deleted.add(key)
        note(f"{site.name}: delete glossary {key} ({gone} row)")

    @rule(target=ops, data=st.data())
    def start_operation(self, data) -> tuple[Site, str]:
        site = self._site(data)
        op_id = str(uuid.uuid4())
        with site.db.write() as conn:  # rows_out = rows_in + 1 in every version: a torn one shows
            conn.execute(
                "INSERT INTO operations (id, install_id, username, tool, function, status,"
                " rows_in, rows_out, parameters) VALUES (?, ?, 'tester', 'fuzz', 'step',"
                " 'running', 0, 1, '{}')",
                (op_id, site.db.install_id),
            )
        self.operation_ids.add(op_id)
        note(f"{site.name}: start operation {op_id[:8]}")
        return site, op_id

    @rule(op=ops, rows=st.integers(0, 2**40), status=st.sampled_from(["succeeded", "failed"]))
    def finish_operation(self, op: tuple[Site, str], rows: int, status: str) -> None:
        site, op_id = op
        with site.db.write() as conn:
            conn.execute(
                "UPDATE operations SET status = ?, rows_in = ?, rows_out = ? WHERE id = ?",
                (status, rows, rows + 1, op_id),
            )
        note(f"{site.name}: finish operation {op_id[:8]} {status} rows {rows}")

    @rule(op=consumes(ops))
    def delete_operation(self, op: tuple[Site, str]) -> None:
        site, op_id = op
        with site.db.write() as conn:
            conn.execute("DELETE FROM operations WHERE id = ?", (op_id,))
        self.operation_ids.discard(op_id)
        note(f"{site.name}: delete operation {op_id[:8]}")

    @rule(data=st.data(), key=st.integers(0, 2), value=any_value)
    def write_event(self, data, key: int, value) -> None:
        site = self._site(data)
        event_id = f"{site.name}-e{key}"  # upstream rows: only their install writes them
        with site.db.write() as conn:
            conn.execute(
                "INSERT INTO events (id, install_id, value) VALUES (?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                (event_id, site.db.install_id, value),
            )
        note(f"{site.name}: event {event_id} value {value!r}")

    @rule(data=st.data(), key=st.integers(0, 2))
    def delete_event(self, data, key: int) -> None:
        site = self._site(data)
        with site.db.write() as conn:
            conn.execute("DELETE FROM events WHERE id = ?", (f"{site.name}-e{key}",))
        note(f"{site.name}: delete event {site.name}-e{key}")

    @rule(data=st.data(), rows=st.integers(2, 12))
    def bulk_events(self, data, rows: int) -> None:
        """One transaction bigger than a push: it travels in parts and must show whole."""
        site = self._site(data)
        tag = f"bulk-{uuid.uuid4().hex[:8]}"
        with site.db.write() as conn:
            for n in range(rows):
                conn.execute(
                    "INSERT INTO events (id, install_id, message, level, value)"
                    " VALUES (?, ?, ?, 'bulk', ?)",
                    (f"{tag}-{n}", site.db.install_id, tag, n),
                )
        self.bulks[tag] = rows
        note(f"{site.name}: {tag} of {rows} events in one transaction")

    # --- network --------------------------------------------------------------------------
    def _deliver(self, site: Site, request: PushRequest, crash: bool = False) -> int | None:
        """Central takes in one push; returns its watermark, or None if it refused or crashed."""
        with self._central().connect() as conn:
            transaction = conn.begin()
            try:
                response = ingest.push(conn, site.install, request)
            except CentralError as exc:
                transaction.rollback()
                note(f"  central refused: {exc.code}: {exc.detail[:80]}")
                return None
            if crash:  # killed before the commit: PostgreSQL rolls it all back
                transaction.rollback()
                note("  central crashed before committing")
                return None
            transaction.commit()
        return response.acked_db_version

    @contextmanager
    def _pass(self, site: Site) -> Iterator[tuple[int, Iterator[PushRequest]]]:
        """One replicator pass: central's watermark for ``site`` and the pushes of its backlog
        past central's state."""
        with self._central().connect() as conn:
            state = ingest.site_state(conn, site.install)
        acked, partial = state.acked_db_version, state.partial

        def describe(version: int) -> tuple[int, int]:
            with site.db.read() as conn:
                return outbox.version_size(conn, version)

        with site.db.snapshot() as snapshot:
            requests = outbox.pushes(
                snapshot, describe, site.db.site_id, SCHEMA_VERSION, acked, partial,
                target=PUSH_TARGET, limit=PUSH_LIMIT,
            )  # fmt: skip
            with closing(requests):
                yield acked, requests

    @precondition(lambda self: any(s.connected for s in self.sites))
    @rule(data=st.data())
    def push(self, data) -> None:
        site = self._site(data, connected=True)
        with self._pass(site) as (acked, requests):
            for request in requests:
                request = request.model_copy(update={"since": acked})
                fate = data.draw(DELIVERY, label="delivery")
                note(f"{site.name}: push {len(request.changes)} changes after {acked}: {fate}")
                site.sent.append(request)
                if fate == "drop":
                    return  # the replicator times out; the next pass starts over
                result = self._deliver(site, request, crash=fate == "crash")
                if result is None:
                    return
                if fate == "duplicate":
                    self._deliver(site, request)
                acked = result
                with site.db.write() as conn:
                    sync_state.advance_acked(conn, acked)

    @precondition(lambda self: any(s.sent for s in self.sites))
    @rule(data=st.data())
    def replay_old_push(self, data) -> None:
        """The network delivers an old push again, late and out of order."""
        site = data.draw(st.sampled_from([s for s in self.sites if s.sent]), label="install")
        request = data.draw(st.sampled_from(site.sent), label="old push")
        note(f"{site.name}: replay of a push after {request.since} ({len(request.changes)})")
        self._deliver(site, request)

    @precondition(lambda self: any(s.connected for s in self.sites))
    @rule(data=st.data(), crash=st.booleans())
    def pull(self, data, crash: bool) -> None:
        site = self._site(data, connected=True)
        while True:
            response = self._fetch_pull(site, PULL_LIMIT)
            try:
                with site.db.write() as conn:
                    inbox.apply(conn, response.changes)
                    sync_state.advance_cursor(conn, response.cursor)
                    if crash:
                        raise _Crash
            except _Crash:
                note(f"{site.name}: crashed while applying {len(response.changes)} pulled")
                return
            note(f"{site.name}: pulled {len(response.changes)} up to {response.cursor}")
            if not response.more:
                return

    @rule(data=st.data())
    def cut_off(self, data) -> None:
        site = self._site(data)
        site.connected = False
        note(f"{site.name}: offline")

    @rule(data=st.data())
    def heal(self, data) -> None:
        site = self._site(data)
        site.connected = True
        note(f"{site.name}: online")

    @rule(data=st.data())
    def restart_install(self, data) -> None:
        site = self._site(data)
        site.db.close()
        site.db = Database(site.path)
        note(f"{site.name}: restarted")

    # --- invariants after every step --------------------------------------------------------
    @invariant()
    def watermarks_and_cursors_never_go_back(self) -> None:
        with self._central().connect() as conn:
            central = dict(
                conn.execute(text("SELECT install_id, acked_db_version FROM enrollments")).all()
            )
        for site in self.sites:
            with site.db.read() as conn:
                local, cursor = sync_state.acked_db_version(conn), sync_state.pull_cursor(conn)
            acked = central[site.db.install_id]
            assert acked >= site.seen_acked, f"{site.name}: central watermark went back"
            assert local >= site.seen_local_acked, f"{site.name}: local watermark went back"
            assert cursor >= site.seen_cursor, f"{site.name}: pull cursor went back"
            assert local <= acked, f"{site.name}: acknowledged more than central holds"
            site.seen_acked, site.seen_local_acked, site.seen_cursor = acked, local, cursor

    @invariant()
    def no_version_is_visible_in_part(self) -> None:
        with self._central().connect() as conn:
            bulks = dict(
                conn.execute(
                    text("SELECT message, count(*) FROM events WHERE level = 'bulk' GROUP BY 1")
                ).all()
            )
            torn = conn.execute(
                text("SELECT count(*) FROM operations WHERE rows_out IS DISTINCT FROM rows_in + 1")
            ).scalar_one()
            early = conn.execute(
                text(
                    "SELECT count(*) FROM parked_changes p JOIN enrollments e"
                    " ON e.install_id = encode(p.site_id, 'hex')"
                    " WHERE p.reason = 'incomplete' AND p.db_version <= e.acked_db_version"
                )
            ).scalar_one()
        for tag, count in bulks.items():
            assert count == self.bulks[tag], f"{tag}: {count} of {self.bulks[tag]} rows visible"
        assert torn == 0, "an operation row shows half of a transaction"
        assert early == 0, "parked parts of a version central calls complete"

    # --- the end: heal, sync to a fixpoint, compare ---------------------------------------------
    def teardown(self) -> None:
        # hypothesis calls this in a `finally`: when a step or invariant already failed, only
        # clean up, so that failure is the one reported (a convergence error would mask it).
        failed = sys.exc_info()[0] is not None
        try:
            if self.sites and not failed:
                self._sync_everything()
                oracle.check_convergence(
                    self._central(), [s.db for s in self.sites], Path(self._tmp.name) / "hub",
                    operation_ids=self.operation_ids, deleted=self.deleted, bulks=self.bulks,
                )  # fmt: skip
        finally:
            for site in self.sites:
                site.db.close()
            self._tmp.cleanup()
            self.on_example_end()

    def _sync_everything(self) -> None:
        for site in self.sites:
            site.connected = True
        for _ in range(2):  # the second round carries what the first one pulled in
            for site in self.sites:
                self._push_all(site)
            for site in self.sites:
                self._pull_all(site)

    def _push_all(self, site: Site) -> None:
        with self._pass(site) as (acked, requests):
            for request in requests:
                result = self._deliver(site, request.model_copy(update={"since": acked}))
                assert result is not None, f"{site.name}: central refused a clean push"
                acked = result
        with site.db.write() as conn:
            sync_state.advance_acked(conn, acked)

    def _fetch_pull(self, site: Site, limit: int) -> PullResponse:
        """Central's answer to the install's next pull, read in one snapshot."""
        with site.db.read() as conn:
            cursor = sync_state.pull_cursor(conn)
        snapshot = self._central().connect().execution_options(isolation_level="REPEATABLE READ")
        with snapshot as conn, conn.begin():
            return pull.changes_since(conn, site.install, cursor, limit)

    def _pull_all(self, site: Site) -> None:
        while True:
            response = self._fetch_pull(site, 1000)
            with site.db.write() as conn:
                inbox.apply(conn, response.changes)
                sync_state.advance_cursor(conn, response.cursor)
            if not response.more:
                return


class _Crash(Exception):
    """An install dying in the middle of applying a pull (its transaction rolls back)."""
