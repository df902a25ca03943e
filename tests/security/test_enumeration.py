"""Enumeration: whether an e-mail address is registered (or has an auth key waiting) must not
show in any answer of the endpoints that take an address from anyone: the My Page opening, the
account creation and the password reset (request and completion), and login.

Against a real identity service of its own (real database and broker), each endpoint is asked
for a known and an unknown address in turn, ``SAMPLES`` times each, interleaved (the order
alternating, after a few untimed warm-up rounds): the statuses and bodies must be identical, and
the median of the differences within each round (known − unknown, asked one right after the
other) within ``TOLERANCE`` of the median time. Medians, not means, so that a stall of the
(possibly loaded, two-core) machine does not decide, and differences within a round, so that the
load of the other test workers, which changes from second to second, falls on both sides alike; a
failed comparison is measured once more before it fails.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
import pytest

from services.identity.app import create_app
from services.identity.settings import IdentitySettings
from tests.conftest import RUN_ID, running
from tests.identity.support import AGREE, GOOD_PASSWORD, BusTap, Env, OffsetClock, new_email

pytestmark = pytest.mark.integration

SAMPLES = 20
WARM_UP = 3
TOLERANCE = 0.10
WRONG_KEY = "ZZZZ9999"

Ask = Callable[[str], Awaitable[httpx.Response]]


@pytest.fixture(scope="module")
async def env(make_settings) -> AsyncIterator[Env]:
    """An identity of this module's own. Requests per address are not limited here (a known
    address must match every time to be measured); everything else has its real settings."""
    settings = make_settings(
        IdentitySettings,
        db_name=f"t{RUN_ID}_identity_enumeration",
        uniform_response_seconds=0.15,
        expiry_scan_seconds=3600,
        auth_key_requests_per_window=100,
    )
    clock = OffsetClock()
    app = create_app(settings, clock=clock)
    async with running(app) as client:
        tap = await BusTap().start(settings)
        try:
            yield Env(app=app, client=client, clock=clock, tap=tap, settings=settings)
        finally:
            await tap.close()


@dataclass
class Measured:
    known: list[float]
    unknown: list[float]
    answers: set[tuple[int, str]]

    @property
    def medians(self) -> tuple[float, float]:
        return statistics.median(self.known), statistics.median(self.unknown)

    @property
    def difference(self) -> float:
        """The median of the rounds' differences (known − unknown)."""
        return statistics.median(k - u for k, u in zip(self.known, self.unknown, strict=True))

    def close_enough(self) -> bool:
        return abs(self.difference) <= TOLERANCE * min(self.medians)

    def describe(self) -> str:
        a, b = self.medians
        d = self.difference
        return (
            f"known {a * 1000:.1f} ms, unknown {b * 1000:.1f} ms, "
            f"difference within a round {d * 1000:+.1f} ms ({d / min(a, b):+.1%})"
        )


async def measure(
    known: Ask,
    unknown: Ask,
    *,
    samples: int,
    between: Callable[[int], Awaitable[None]] | None = None,
) -> Measured:
    """``known``/``unknown`` take a fresh random client address (for login's per-address
    throttle); ``between(i)`` runs untimed before round ``i``."""
    result = Measured([], [], set())
    for i in range(WARM_UP + samples):
        if between is not None:
            await between(i)
        pair = [(known, result.known), (unknown, result.unknown)]
        for ask, times in pair if i % 2 == 0 else reversed(pair):
            started = time.perf_counter()
            r = await ask(client_ip())
            elapsed = time.perf_counter() - started
            result.answers.add((r.status_code, r.text))
            if i >= WARM_UP:
                times.append(elapsed)
    return result


async def check(
    name: str,
    known: Ask,
    unknown: Ask,
    *,
    samples: int = SAMPLES,
    between: Callable[[int], Awaitable[None]] | None = None,
) -> None:
    measured = await measure(known, unknown, samples=samples, between=between)
    assert len(measured.answers) == 1, (name, measured.answers)
    if not measured.close_enough():  # once more: a busy machine can skew one run
        first = measured.describe()
        measured = await measure(known, unknown, samples=samples, between=between)
        assert len(measured.answers) == 1, (name, measured.answers)
        assert measured.close_enough(), f"{name}: {first}; again: {measured.describe()}"
    print(f"\n{name}: {measured.describe()}, answer {sorted(measured.answers)[0][0]}")


def client_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def post(env: Env, path: str, body: dict[str, object]) -> Ask:
    async def ask(ip: str) -> httpx.Response:
        return await env.client.post(path, json=body, headers={"X-Forwarded-For": ip})

    return ask


async def test_opening_request(env):
    email, _ = await env.register_seeker(birth_date="1988-08-08")
    body = {"account_type": "seeker", "birth_date": "1988-08-08", **AGREE}
    await check(
        "opening request",
        post(env, "/api/v1/mypage/opening", {**body, "email": email}),
        post(env, "/api/v1/mypage/opening", {**body, "email": new_email()}),
    )
    assert len(env.tap.mails_to(email, "mypage_opening")) >= SAMPLES  # every known one matched


async def test_account_creation_request(env):
    known, _ = await env.opened_seeker()
    await check(
        "account creation request",
        post(env, "/api/v1/accounts", {"email": known, **AGREE}),
        post(env, "/api/v1/accounts", {"email": new_email(), **AGREE}),
    )


async def test_password_reset_request(env):
    known, _ = await env.opened_seeker()
    await check(
        "password reset request",
        post(env, "/api/v1/auth/password-reset", {"email": known}),
        post(env, "/api/v1/auth/password-reset", {"email": new_email()}),
    )
    assert len(env.tap.mails_to(known, "password_reset")) >= SAMPLES


async def _completion(
    env: Env, name: str, path: str, request: str, known: str, extra: Mapping[str, object]
) -> None:
    """Wrong keys for an address with a live key and for one without; both addresses ask for a
    key again (untimed) before the try limit, so every timed try is counted and compared."""
    unknown = new_email()
    every = env.settings.auth_key_max_tries - 1

    async def fresh_keys(i: int) -> None:
        if i % every == 0:
            for email in (known, unknown):
                r = await env.client.post(request, json={"email": email, **extra})
                assert r.status_code == 202

    wrong = {"auth_key": WRONG_KEY, "password": GOOD_PASSWORD}
    await check(
        name,
        post(env, path, {"email": known, **wrong}),
        post(env, path, {"email": unknown, **wrong}),
        between=fresh_keys,
    )


async def test_opening_completion(env):
    known, _ = await env.register_seeker()
    await env.request_opening(known)
    await env.tap.key_for(known, "mypage_opening")

    unknown = new_email()
    every = env.settings.auth_key_max_tries - 1

    async def fresh_keys(i: int) -> None:
        if i % every == 0:
            assert (await env.request_opening(known)).status_code == 202
            assert (await env.request_opening(unknown)).status_code == 202

    wrong = {"auth_key": WRONG_KEY, "password": GOOD_PASSWORD}
    await check(
        "opening completion",
        post(env, "/api/v1/mypage/opening/complete", {"email": known, **wrong}),
        post(env, "/api/v1/mypage/opening/complete", {"email": unknown, **wrong}),
        between=fresh_keys,
    )


async def test_account_creation_completion(env):
    known = new_email()  # an address that asked for an account has a live key
    await _completion(
        env,
        "account creation completion",
        "/api/v1/accounts/complete",
        "/api/v1/accounts",
        known,
        AGREE,
    )


async def test_password_reset_completion(env):
    known, _ = await env.opened_seeker()
    await _completion(
        env,
        "password reset completion",
        "/api/v1/auth/password-reset/complete",
        "/api/v1/auth/password-reset",
        known,
        {},
    )


async def test_login(env):
    known, _ = await env.opened_seeker()
    wrong = {"password": "Wrong-pass-1"}
    await check(
        "login",
        post(env, "/api/v1/auth/login", {"email": known, **wrong}),
        post(env, "/api/v1/auth/login", {"email": new_email(), **wrong}),
        samples=2 * SAMPLES,  # no floor here (Argon2id's own cost): cheap, and noisier
    )
