"""Rate limits on the login and opening endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.ratelimit import RateLimiter
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
