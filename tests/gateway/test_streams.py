"""Open event streams: capped per account and per client address, and on a connection pool of
their own, so that a thousand open streams leave ordinary requests served at once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import aiohttp
import pytest

from gateway.app import create_app
from gateway.core import Gateway
from gateway.streams import StreamSlots
from tests.conftest import eventually
from tests.gateway.conftest import running_gateway

EVENTS = "/api/v1/me/events"


def test_slots_count_per_account_per_address_and_in_all() -> None:
    slots = StreamSlots(per_account=2, per_address=3, total=5)
    assert slots.acquire("a", "10.0.0.1") is None
    assert slots.acquire("a", "10.0.0.2") is None
    assert slots.acquire("a", "10.0.0.3") == "account"
    assert slots.acquire("b", "10.0.0.1") is None
    assert slots.acquire(None, "10.0.0.1") is None  # no verified account: the address counts
    assert slots.acquire("c", "10.0.0.1") == "address"
    assert slots.acquire("c", "10.0.0.4") is None
    assert slots.acquire("d", "10.0.0.5") == "full"
    slots.release("a", "10.0.0.2")
    assert slots.count(account="a") == 1 and slots.count(address="10.0.0.2") == 0
    assert slots.acquire("a", "10.0.0.5") is None
    for account, address in (("a", "10.0.0.1"), ("a", "10.0.0.5"), ("b", "10.0.0.1")):
        slots.release(account, address)
    slots.release(None, "10.0.0.1")
    slots.release("c", "10.0.0.4")
    assert slots.count() == 0 and not slots._accounts and not slots._addresses


@asynccontextmanager
async def open_stream(
    session: aiohttp.ClientSession, url: str, token: str, address: str | None = None
) -> AsyncIterator[aiohttp.ClientResponse]:
    """GET the event stream; when it is one, its first event has arrived."""
    headers = {"Authorization": f"Bearer {token}"}
    if address:
        headers["X-Forwarded-For"] = address
    async with session.get(url + EVENTS, headers=headers) as resp:
        if resp.status == 200:
            assert await resp.content.readline() == b"data: first\n"
        yield resp


def gateway_of(app: object) -> Gateway:
    gw: Gateway = app.state.gateway  # type: ignore[attr-defined]
    return gw


@pytest.mark.integration
async def test_an_account_has_at_most_five_streams_open(gateway_settings, keys, kid, identity):
    settings = gateway_settings()
    app = create_app(settings)
    one, other = keys.token(kid, sub="acct-1"), keys.token(kid, sub="acct-2")
    async with (
        running_gateway(settings, app=app) as client,
        aiohttp.ClientSession() as session,
        AsyncExitStack() as streams,
    ):
        url = str(client.base_url)
        opened = [
            await streams.enter_async_context(open_stream(session, url, one)) for _ in "12345"
        ]
        assert all(resp.status == 200 for resp in opened)
        refused = await client.get(EVENTS, headers={"Authorization": f"Bearer {one}"})
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "too_many_streams"
        assert "接続が多すぎます" in refused.json()["detail"]
        # another account from the same address is not affected, nor are ordinary requests
        async with open_stream(session, url, other) as resp:
            assert resp.status == 200
        assert (await client.get("/api/v1/jobs")).status_code == 200
        # a stream that ends gives its place back
        opened[0].close()
        await eventually(lambda: gateway_of(app).streams.count(account="acct-1") == 4, timeout=5)
        async with open_stream(session, url, one) as resp:
            assert resp.status == 200
    await eventually(lambda: gateway_of(app).streams.count() == 0, timeout=5)


@pytest.mark.integration
async def test_an_address_has_at_most_its_cap_of_streams_open(gateway_settings, keys, kid):
    settings = gateway_settings(stream_max_per_address=3)
    async with (
        running_gateway(settings, trust_proxy=True) as client,
        aiohttp.ClientSession() as session,
        AsyncExitStack() as streams,
    ):
        url = str(client.base_url)
        for i in range(3):
            token = keys.token(kid, sub=f"addr-{i}")
            resp = await streams.enter_async_context(open_stream(session, url, token, "10.1.1.1"))
            assert resp.status == 200
        fourth = keys.token(kid, sub="addr-3")
        async with open_stream(session, url, fourth, "10.1.1.1") as resp:
            assert resp.status == 429
            assert (await resp.json(content_type=None))["code"] == "too_many_streams"
        # the same account from another address (X-Forwarded-For from a trusted proxy)
        async with open_stream(session, url, fourth, "10.1.1.2") as resp:
            assert resp.status == 200


@pytest.mark.integration
async def test_a_thousand_open_streams_leave_ordinary_requests_served(
    gateway_settings, keys, kid, identity, jobs
):
    """1,000 streams (200 accounts × 5, 20 addresses × 50: both caps at their defaults) through
    a gateway whose ordinary pool has 512 connections: requests still answer at once. Before
    streams had their own pool, every request past the 512th waited for the upstream timeout."""
    settings = gateway_settings(upstream_timeout_seconds=5)
    assert settings.max_connections < 1000
    app = create_app(settings)
    tokens = [keys.token(kid, sub=f"many-{i}") for i in range(200)]
    started = time.monotonic()
    async with (
        running_gateway(settings, trust_proxy=True, app=app) as client,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session,
        AsyncExitStack() as streams,
    ):
        url = str(client.base_url)

        async def one(i: int) -> int:
            address = f"10.2.0.{i % 20}"
            resp = await streams.enter_async_context(
                open_stream(session, url, tokens[i % 200], address)
            )
            return resp.status

        async with asyncio.timeout(20):
            statuses = []
            for batch in range(10):  # 100 at a time, to spare the listen backlog
                statuses += await asyncio.gather(*(one(batch * 100 + i) for i in range(100)))
        assert statuses == [200] * 1000
        assert gateway_of(app).streams.count() == 1000
        opened = time.monotonic()

        # ordinary requests answer at once, many at a time
        async with asyncio.timeout(5):
            answers = await asyncio.gather(*(client.get("/api/v1/jobs") for _ in range(100)))
        assert [r.status_code for r in answers] == [200] * 100
        # and the caps hold at 1,000: a sixth stream of an account, a 51st of an address
        async with open_stream(session, url, tokens[0], "10.9.9.9") as resp:
            assert resp.status == 429
        async with open_stream(session, url, keys.token(kid, sub="fresh"), "10.2.0.0") as resp:
            assert resp.status == 429
        served = time.monotonic()
        print(  # the timing, for the report (pytest -s)
            f"1,000 streams open in {opened - started:.1f} s; "
            f"100 requests beside them in {served - opened:.2f} s"
        )
    await eventually(lambda: gateway_of(app).streams.count() == 0, timeout=10)
