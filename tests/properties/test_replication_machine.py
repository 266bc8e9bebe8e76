"""The replication state machine (locanext.fuzz.machine) against this test's database."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from locanext.fuzz.machine import ReplicationMachine


@pytest.fixture(autouse=True)
def _bind(central_db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ReplicationMachine, "central", central_db)


TestReplication = ReplicationMachine.TestCase
# Examples come from the profile (dev 50, ci 300); each runs up to 25 steps.
TestReplication.settings = settings(
    stateful_step_count=25, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
