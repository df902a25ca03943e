"""Fuzzing the HTTP API (issue 13): schemathesis generates requests from the merged OpenAPI the
gateway serves (``/api/openapi.json``) and sends them through the gateway of the real system
(tests/system.py), with each role's token: ``anonymous``, ``seeker``, ``employer``, ``staff``
and ``admin``. Each role is given the operations it may call by the authorization matrix
(tests/security/authz_matrix.json, from API.md); the operations anyone may call (login, opening,
search, reference data…) are fuzzed once, without a token.

For every answer: no server error (5xx), and every 4xx is ``application/problem+json`` with a
``code``. Both valid (positive) and invalid (negative) requests are generated, ``EXAMPLES`` of
each per operation and role, without shrinking, so that the whole run stays bounded (about a
minute on two cores; ``HATARAKU_FUZZ_EXAMPLES`` asks for more). Every failure is collected and reported together, with a curl command.

Left out: the event stream (``GET /api/v1/me/events``: it does not end), ``PUT
/api/v1/admin/maintenance`` (an admin starting maintenance would answer every other call 503),
and a seeker ending its own registration (every later seeker call would be refused).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.security.authz_matrix import load
from tests.security.world import World, build

pytestmark = pytest.mark.e2e

ROLES = ("anonymous", "seeker", "employer", "staff", "admin")
# per operation, role and mode; HATARAKU_FUZZ_EXAMPLES=50 for a deeper run by hand
EXAMPLES = int(os.environ.get("HATARAKU_FUZZ_EXAMPLES", "3"))
LEFT_OUT = {
    "GET /api/v1/me/events",
    "PUT /api/v1/admin/maintenance",
    "POST /api/v1/me/registration/cancel",
}


@dataclass(frozen=True)
class Failure:
    role: str
    operation: str
    status: int
    reason: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation} as {self.role}: {self.status} {self.reason}\n    {self.curl}"


def operations_for(role: str, matrix: dict[str, Any]) -> set[str]:
    """The operations ``role`` may call by the matrix; a token is sent only where it is needed
    (anyone's operations are fuzzed as anonymous)."""
    keys = set()
    for key, entry in matrix.items():
        if entry.get("internal") or key in LEFT_OUT:
            continue
        expect = entry["expect"]
        public = expect["anonymous"] == "allow"
        if (role == "anonymous") == public and expect[role] == "allow":
            keys.add(key)
    return keys


def problem(response: Any) -> str | None:
    """Why an answer breaks the rules, or None."""
    if response.status_code >= 500:
        return "server error: " + response.text[:300]
    if 400 <= response.status_code < 500:
        kind = (response.headers.get("content-type") or [""])[0]
        if not kind.startswith("application/problem+json"):
            return f"a {response.status_code} as {kind!r}, not application/problem+json"
        try:
            body = json.loads(response.content)
        except ValueError:
            return "problem+json that is not JSON"
        if not isinstance(body, dict) or not isinstance(body.get("code"), str):
            return f"problem+json without a code: {response.text[:300]}"
    return None


@pytest.fixture(scope="module")
async def roles(system: Any) -> AsyncIterator[World]:
    async with httpx.AsyncClient(base_url=system.gateway, timeout=30) as client:
        yield await build(system, client, resources=False)


def fuzz(
    schema: Any, base_url: str, role: str, headers: dict[str, str], statuses: Counter[int]
) -> Iterator[Failure]:
    matrix = load()["routes"]
    wanted = operations_for(role, matrix)
    failures: dict[tuple[str, str, int, str], Failure] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        key = f"{operation.method.upper()} {operation.path}"
        if key not in wanted:
            continue
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )

        _runner(strategy, base_url, role, key, headers, failures, statuses)()
    yield from failures.values()


def _runner(
    strategy: Any,
    base_url: str,
    role: str,
    key: str,
    headers: dict[str, str],
    failures: dict[tuple[str, str, int, str], Failure],
    statuses: Counter[int],
) -> Any:
    @given(case=strategy)
    @settings(
        max_examples=2 * EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        statuses[response.status_code] += 1
        reason = problem(response)
        if reason is not None:
            failures.setdefault(
                (role, key, response.status_code, reason.split(":")[0]),
                Failure(
                    role,
                    key,
                    response.status_code,
                    reason,
                    case.as_curl_command(headers=headers, base_url=base_url),
                ),
            )

    return run


def test_no_server_errors_and_every_error_a_problem(system: Any, roles: World) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{system.gateway}/api/openapi.json")
    failures: list[Failure] = []
    statuses: Counter[int] = Counter()
    covered = 0
    for role in ROLES:
        headers = roles.headers(role)
        found = list(fuzz(schema, system.gateway, role, headers, statuses))
        covered += len(operations_for(role, load()["routes"]))
        failures += found
    print(
        f"\nfuzzed {covered} (operation, role) pairs, {statuses.total()} requests in "
        f"{time.monotonic() - started:.0f} s; statuses {dict(sorted(statuses.items()))}"
    )
    assert statuses.total() >= covered, "fewer requests than operations: nothing was fuzzed?"
    assert not failures, f"{len(failures)} broken answers:\n" + "\n".join(map(str, failures))
