"""`locanext fuzz`: the replication state machine of tests/properties, outside pytest.

Runs rounds of examples (round r uses seed S + r, so the same seed gives the same run) until the
example budget or the time budget is spent, or a failure is found. On failure hypothesis shrinks
it, the shrunk steps are printed, and a replay file is written: ``--replay FILE`` runs exactly that
example again. Needs a source checkout (the machine lives in tests/properties).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_BLOB = re.compile(r"@reproduce_failure\('([^']+)', b'([^']+)'\)")


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
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            FuzzPlan(**data["plan"]), data["hypothesis_version"], data["blob"], data["failure"]
        )


@dataclass
class Outcome:
    examples: int
    rounds: int
    seconds: float
    failure: str | None = None
    replay: Replay | None = None


def machine_module():
    if str(REPO) not in sys.path:  # tests/ is not installed; it is part of the checkout
        sys.path.insert(0, str(REPO))
    from tests.properties import mutations, replication

    return replication, mutations


@contextmanager
def scratch_central(server_dsn: str) -> Iterator[object]:
    """A fresh, migrated central database on ``server_dsn``, dropped afterwards."""
    from central.db import make_engine, migrate, scratch_database

    with scratch_database(server_dsn, "locanext_fuzz") as dsn:
        engine = make_engine(dsn)
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


def _machine_class(replication, plan: FuzzPlan, on_example: Callable[[], None]):
    class Machine(replication.ReplicationMachine):
        pass

    if plan.installs is not None:
        Machine.INSTALLS = (plan.installs, plan.installs)
    Machine.on_example_end = staticmethod(on_example)
    return Machine


def _settings(plan: FuzzPlan, examples: int):
    from hypothesis import HealthCheck, Phase, settings

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


def run(engine, plan: FuzzPlan, on_example: Callable[[], None] = lambda: None) -> Outcome:
    """Run the plan against a bound central database."""
    from hypothesis import seed
    from hypothesis.stateful import run_state_machine_as_test

    replication, mutations = machine_module()
    replication.bind(engine)
    mutation = mutations.MUTATIONS[plan.mutation].apply() if plan.mutation else nullcontext()
    started, done, rounds = time.monotonic(), 0, 0

    def example_ended() -> None:
        nonlocal done
        done += 1
        on_example()

    per_round = plan.examples if plan.minutes is None else 25
    with mutation:
        while True:
            machine = seed(plan.seed + rounds)(_machine_class(replication, plan, example_ended))
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


def replay(engine, saved: Replay) -> Outcome:
    """Run the recorded failing example once more, exactly."""
    import ast

    from hypothesis import reproduce_failure
    from hypothesis.stateful import run_state_machine_as_test

    replication, mutations = machine_module()
    replication.bind(engine)
    plan = saved.plan
    blob = ast.literal_eval(f"b'{saved.blob}'")
    machine = reproduce_failure(saved.hypothesis_version, blob)(
        _machine_class(replication, plan, lambda: None)
    )
    mutation = mutations.MUTATIONS[plan.mutation].apply() if plan.mutation else nullcontext()
    started = time.monotonic()
    with mutation:
        try:
            run_state_machine_as_test(machine, settings=_settings(plan, 1))
        except Exception as exc:
            return Outcome(1, 1, time.monotonic() - started, _failure_text(exc), saved)
    return Outcome(1, 1, time.monotonic() - started)
