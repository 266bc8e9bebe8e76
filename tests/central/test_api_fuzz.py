"""Schemathesis drives central's whole API from its own OpenAPI schema over real HTTP, as an
administrator (a staff session), as an enrolled install and with no credentials: no request
yields a 5xx, and every answer is one the schema documents (status, content type, body).

Bounded here (a few hundred requests in all, LOCANEXT_TEST_API_EXAMPLES per operation and
identity); the README shows the longer run.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central.admin_client import session_headers
from replicator import link
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.slow

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("LOCANEXT_TEST_API_EXAMPLES", "2"))


@pytest.fixture
def identities(central_url: str, make_db) -> dict[str, dict[str, str]]:
    admin = session_headers(central_url, "admin", ADMIN_PASSWORD)
    created = httpx.post(
        f"{central_url}/api/admin/users",
        json={"username": "mina", "password": "mina-password"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    token = link.enroll(make_db(), central_url, "mina", "mina-password").token
    return {
        "admin": admin,
        "install": {"Authorization": f"Bearer {token}"},
        "nobody": {},
    }


def _fuzz(
    operation, mode: GenerationMode, url: str, headers: dict[str, str], sent: list[str]
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case) -> None:
        sent.append(operation.label)
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

    return run


def test_every_answer_is_documented_and_none_is_a_server_error(
    central_url: str, identities: dict[str, dict[str, str]]
) -> None:
    schema = schemathesis.openapi.from_url(f"{central_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20  # the whole API, not an empty schema
    failures: list[str] = []
    sent: list[str] = []
    for who, headers in identities.items():
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _fuzz(operation, mode, central_url, headers, sent)()
                except Unsatisfiable:  # nothing to send wrong (no parameters, no body)
                    assert mode is GenerationMode.NEGATIVE, operation.label
                except (Exception, BaseExceptionGroup) as exc:  # all of them, then fail once
                    failures.append(f"{who} {operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    # every operation was called, a few hundred requests in all
    assert set(sent) == {operation.label for operation in operations}
    assert len(sent) >= 3 * len(operations) * EXAMPLES
