"""Schemathesis drives central's whole API from its own OpenAPI schema over real HTTP, as an
administrator (a staff session), as an enrolled install and with no credentials: no request
yields a 5xx, and every answer is one the schema documents (status, content type, body).

Bounded here (a few hundred requests in all, LOCANEXT_TEST_API_EXAMPLES per operation and
identity); the README shows the longer run.
"""

from __future__ import annotations

import base64
import json
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


def test_what_the_fuzzer_found_is_refused_as_bad_input(
    central_url: str, identities: dict[str, dict[str, str]]
) -> None:
    """Each reached PostgreSQL and answered 500: text with a NUL character, a cursor past
    bigint. Now each is a 422 and nothing is written."""
    admin, install = identities["admin"], identities["install"]
    site = base64.b64encode(bytes(16)).decode()
    probes = [
        ("POST", "/api/admin/session", {"username": "a\x00b", "password": "x"}, {}),
        ("POST", "/api/admin/session", {"username": "\ud800", "password": "x"}, {}),
        (
            "POST",
            "/api/enroll",
            {"username": "mi\x00na", "password": "x", "site_id": site, "schema_version": 2},
            {},
        ),
        ("POST", "/api/admin/users", {"username": "kim", "password": "pass\x00word!"}, admin),
        ("PATCH", "/api/admin/users/mi%00na", {"team": "KO"}, admin),
        ("PATCH", "/api/admin/users/mina", {"team": "K\x00O"}, admin),
        ("GET", "/api/admin/conflicts?table=us%00ers", None, admin),
        ("GET", f"/api/sync/pull?since={2**63}", None, install),
    ]
    for method, path, body, headers in probes:
        answer = httpx.request(  # escaped JSON, as a client could send a lone surrogate
            method,
            central_url + path,
            content=None if body is None else json.dumps(body),
            headers={**headers, "Content-Type": "application/json"},
        )
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request"), (
            method,
            path,
            answer.text,
        )
    users = httpx.get(f"{central_url}/api/admin/users", headers=admin).json()
    assert sorted(u["username"] for u in users) == ["admin", "mina"]
    assert {u["team"] for u in users} == {""}
