"""`locanext fuzz`: the replication state machine run outside pytest, in seeded rounds.

Runs rounds of examples (round r uses seed S + r, so the same seed gives the same run) until the
example budget or the time budget is spent, or a failure is found. On failure hypothesis shrinks
it, the shrunk steps are printed, and a replay file is written: ``--replay FILE`` runs exactly that
example again.
"""

from __future__ import annotations

import ast
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, reproduce_failure, seed, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from central.db import make_engine, migrate, normalize_dsn, scratch_database
from engine.crsqlite import cache_dir
from locanext.failures import Failure
from locanext.fuzz.machine import ReplicationMachine
from locanext.fuzz.mutations import MUTATIONS

_BLOB = re.compile(r"@reproduce_failure\('([^']+)', b'([^']+)'\)")


class FuzzError(Failure):
    """A fuzz run that cannot start: an unreadable replay file, an unknown mutation."""


@dataclass(frozen=True)
class FuzzPlan:
    seed: int
    installs: int | None
    steps: int
    examples: int
    minutes: float | None
    mutation: str | None = None


@dataclass(frozen=True)
class Replay:
    plan: FuzzPlan
    hypothesis_version: str
    blob: str
    failure: str

    def save(self, path: Path) -> None:
        data = {**asdict(self), "plan": asdict(self.plan)}
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Replay:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            saved = cls(
                FuzzPlan(**data["plan"]), data["hypothesis_version"], data["blob"], data["failure"]
            )
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise FuzzError(f"{path}: not a replay file written by locanext fuzz ({exc})") from None
        check_mutation(saved.plan.mutation)
        return saved


def check_mutation(name: str | None) -> None:
    if name is not None and name not in MUTATIONS:
        raise FuzzError(f"unknown mutation {name!r}; one of {', '.join(MUTATIONS)}")


@dataclass
class Outcome:
    examples: int
    rounds: int
    seconds: float
    failure: str | None = None
    replay: Replay | None = None


@contextmanager
def scratch_central(server_dsn: str) -> Iterator[Engine]:
    """A fresh, migrated central database on ``server_dsn``, dropped afterwards."""
    try:
        server = make_url(normalize_dsn(server_dsn)).render_as_string(hide_password=True)
    except (ArgumentError, ValueError) as exc:
        raise FuzzError(str(exc)) from None
    with ExitStack() as stack:
        try:
            dsn = stack.enter_context(scratch_database(server_dsn, "locanext_fuzz"))
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise FuzzError(f"cannot create a scratch database on {server}: {reason}") from None
        engine = make_engine(dsn)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


def _machine_class(
    engine: Engine, plan: FuzzPlan, on_example: Callable[[], None]
) -> type[ReplicationMachine]:
    class Machine(ReplicationMachine):
        central = engine

    if plan.installs is not None:
        Machine.INSTALLS = (plan.installs, plan.installs)
    Machine.on_example_end = staticmethod(on_example)
    return Machine


def _settings(plan: FuzzPlan, examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=plan.steps,
        deadline=None,
        database=None,  # the seed decides, not a local example database
        print_blob=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def _failure_text(exc: BaseException) -> str:
    """The failing assertion with hypothesis's notes (the shrunk steps, the replay blob); for
    several distinct failures, each of them, first to last."""
    if isinstance(exc, BaseExceptionGroup):
        parts = [_failure_text(sub) for sub in exc.exceptions]
        return f"{len(parts)} distinct failures:\n\n" + "\n\n".join(parts)
    notes = "\n".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {exc}\n{notes}".strip()


def _mutation(plan: FuzzPlan) -> AbstractContextManager[None]:
    return MUTATIONS[plan.mutation].apply() if plan.mutation else nullcontext()


def _keep_hypothesis_files_in_cache() -> None:
    # Otherwise hypothesis writes .hypothesis/ (its unicode tables) into the working directory.
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(cache_dir() / "hypothesis")


def run(engine: Engine, plan: FuzzPlan, on_example: Callable[[], None] = lambda: None) -> Outcome:
    """Run the plan against a migrated central database (its tables are emptied per example)."""
    _keep_hypothesis_files_in_cache()
    started, done, rounds = time.monotonic(), 0, 0

    def example_ended() -> None:
        nonlocal done
        done += 1
        on_example()

    per_round = plan.examples if plan.minutes is None else 25
    with _mutation(plan):
        while True:
            machine = seed(plan.seed + rounds)(_machine_class(engine, plan, example_ended))
            rounds += 1
            try:
                run_state_machine_as_test(machine, settings=_settings(plan, per_round))
            except Exception as exc:  # a failing example, already shrunk
                failure = _failure_text(exc)
                found = _BLOB.search(failure)
                replay = Replay(plan, found.group(1), found.group(2), failure) if found else None
                return Outcome(done, rounds, time.monotonic() - started, failure, replay)
            elapsed = time.monotonic() - started
            if plan.minutes is None or elapsed >= plan.minutes * 60:
                return Outcome(done, rounds, elapsed)


def replay(engine: Engine, saved: Replay) -> Outcome:
    """Run the recorded failing example once more, exactly."""
    _keep_hypothesis_files_in_cache()
    plan = saved.plan
    blob = ast.literal_eval(f"b'{saved.blob}'")
    machine = reproduce_failure(saved.hypothesis_version, blob)(
        _machine_class(engine, plan, lambda: None)
    )
    started = time.monotonic()
    with _mutation(plan):
        try:
            run_state_machine_as_test(machine, settings=_settings(plan, 1))
        except Exception as exc:
            return Outcome(1, 1, time.monotonic() - started, _failure_text(exc), saved)
    return Outcome(1, 1, time.monotonic() - started)
