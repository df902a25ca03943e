"""Rate limits on the login and opening endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.ratelimit import RateLimiter, take_all
from servicekit.clock import FrozenClock
from tests.gateway.conftest import running_gateway

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_bucket_refills_at_the_rate_up_to_the_burst() -> None:
    clock = FrozenClock(NOW)
    limiter = RateLimiter(per_minute=6, burst=2, clock=clock)
    assert limiter.take("login", "1.2.3.4") == 0
    assert limiter.take("login", "1.2.3.4") == 0
    assert limiter.take("login", "1.2.3.4") == 10  # one token every 10 s
    assert limiter.take("login", "5.6.7.8") == 0  # per client
    assert limiter.take("opening", "1.2.3.4") == 0  # per endpoint group
    clock.advance(timedelta(seconds=4))
    assert limiter.take("login", "1.2.3.4") == 6
    clock.advance(timedelta(seconds=6))
    assert limiter.take("login", "1.2.3.4") == 0
    clock.advance(timedelta(hours=1))
    assert limiter.take("login", "1.2.3.4") == 0
    assert limiter.take("login", "1.2.3.4") == 0
    assert limiter.take("login", "1.2.3.4") > 0


def test_memory_is_bounded() -> None:
    limiter = RateLimiter(per_minute=6, burst=2, clock=FrozenClock(NOW), max_keys=100)
    for i in range(1000):
        limiter.take("login", f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) == 100


@pytest.mark.integration
async def test_login_is_limited_per_client_with_retry_after(gateway_settings, identity, jobs):
    clock = FrozenClock(NOW)
    settings = gateway_settings(rate_limit_per_minute=3, rate_limit_burst=3)
    async with running_gateway(settings, clock=clock) as client:
        for _ in range(3):
            assert (await client.post("/api/v1/auth/login", json={})).status_code == 200
        limited = await client.post("/api/v1/auth/login", json={})
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert limited.json()["code"] == "rate_limited"
        assert limited.headers["retry-after"] == "20"
        assert len([s for s in identity.seen if s["path"] == "/api/v1/auth/login"]) == 3
        # other endpoints and other groups are not affected
        assert (await client.post("/api/v1/accounts", json={})).status_code == 200
        assert (await client.post("/api/v1/mypage/opening", json={})).status_code == 200
        assert (
            await client.post("/api/v1/auth/password-reset/complete", json={})
        ).status_code == 200
        for _ in range(5):
            assert (await client.get("/api/v1/jobs")).status_code == 200
        # a token comes back after 20 s
        clock.advance(timedelta(seconds=20))
        assert (await client.post("/api/v1/auth/login", json={})).status_code == 200
        assert (await client.post("/api/v1/auth/login", json={})).status_code == 429


@pytest.mark.integration
async def test_opening_endpoints_share_one_bucket(gateway_settings):
    settings = gateway_settings(rate_limit_per_minute=1, rate_limit_burst=2)
    async with running_gateway(settings, clock=FrozenClock(NOW)) as client:
        assert (await client.post("/api/v1/mypage/opening", json={})).status_code == 200
        assert (await client.post("/api/v1/mypage/opening/complete", json={})).status_code == 200
        resp = await client.post(
            "/api/v1/mypage/opening", json={}, headers={"Accept-Language": "en"}
        )
        assert resp.status_code == 429
        assert resp.json()["detail"] == "Too many requests. Please try again later."
        assert resp.headers["retry-after"] == "60"


def test_several_buckets_are_taken_together_or_not_at_all() -> None:
    clock = FrozenClock(NOW)
    per_account = RateLimiter(per_minute=6, burst=1, clock=clock)
    per_address = RateLimiter(per_minute=60, burst=2, clock=clock)
    assert take_all([(per_account, "login", "ip a"), (per_address, "login", "ip")]) == 0
    # the account's bucket is empty: the address's is not touched
    assert take_all([(per_account, "login", "ip a"), (per_address, "login", "ip")]) == 10
    assert take_all([(per_account, "login", "ip b"), (per_address, "login", "ip")]) == 0
    # now the address's ceiling is reached, and another account's bucket stays full
    assert take_all([(per_account, "login", "ip c"), (per_address, "login", "ip")]) == 1
    assert per_account.wait("login", "ip c") == 0
    assert per_account.take("login", "ip c") == 0


def login(email: object, address: str) -> dict[str, Any]:
    return {"json": {"email": email, "password": "x"}, "headers": {"X-Forwarded-For": address}}


@pytest.mark.integration
async def test_login_is_limited_per_address_and_account_under_an_address_ceiling(
    gateway_settings, identity
):
    """People at a Hello Work office share one address: each account has its own bucket there,
    and the address a generous ceiling over all of them. (A trusted proxy's X-Forwarded-For
    gives each request its client address.)"""
    clock = FrozenClock(NOW)
    settings = gateway_settings(
        rate_limit_per_minute=3,
        rate_limit_burst=3,
        rate_limit_address_per_minute=10,
        rate_limit_address_burst=10,
    )
    office, home = "10.3.0.1", "10.3.0.2"
    async with running_gateway(settings, clock=clock, trust_proxy=True) as client:
        post = client.post
        path = "/api/v1/auth/login"
        for _ in range(3):
            assert (await post(path, **login("seeker0@example.jp", office))).status_code == 200
        # the same account, written otherwise (identity normalises e-mail addresses the same way)
        again = await post(path, **login(" Seeker0@EXAMPLE.jp", office))
        assert again.status_code == 429
        assert again.headers["retry-after"] == "20"
        # everyone else at the office logs in: 3 + 7 = the ceiling of 10
        for i in range(1, 8):
            assert (await post(path, **login(f"seeker{i}@example.jp", office))).status_code == 200
        ceiling = await post(path, **login("seeker8@example.jp", office))
        assert ceiling.status_code == 429
        assert ceiling.json()["code"] == "rate_limited"
        assert ceiling.headers["retry-after"] == "6"
        # another address is not affected, for the same accounts either
        assert (await post(path, **login("seeker8@example.jp", home))).status_code == 200
        assert (await post(path, **login("seeker0@example.jp", home))).status_code == 200
        # the login reached identity unchanged
        sent = [s for s in identity.seen if s["path"] == path]
        assert len(sent) == 12
        assert sent[-1]["body"] == '{"email":"seeker0@example.jp","password":"x"}'
        assert sent[-1]["headers"]["x-forwarded-for"] == home
        # a token comes back to the ceiling after 6 s
        clock.advance(timedelta(seconds=6))
        assert (await post(path, **login("seeker8@example.jp", office))).status_code == 200


@pytest.mark.integration
async def test_a_login_body_without_an_account_counts_per_address_alone(gateway_settings):
    settings = gateway_settings(rate_limit_per_minute=2, rate_limit_burst=2)
    address = "10.4.0.1"
    headers = {"X-Forwarded-For": address, "Content-Type": "application/json"}
    async with running_gateway(settings, clock=FrozenClock(NOW), trust_proxy=True) as client:
        path = "/api/v1/auth/login"
        assert (await client.post(path, content=b"{not json", headers=headers)).status_code == 200
        assert (await client.post(path, **login(42, address))).status_code == 200
        for bad in (b'{"a":' * 100_000, b'{"email": "' + b"a" * 400 + b'"}', b"\xff\xfe"):
            assert (await client.post(path, content=bad, headers=headers)).status_code == 429
        # one who names an account still gets in
        assert (await client.post(path, **login("a@example.jp", address))).status_code == 200
