"""The gateway refuses the tokens of ended sessions (logout, password reset), cached or not: it
consumes identity's session facts from its own queue into its own database, and a gateway started
later refuses them too."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Envelope
from contracts.identity import AccountSessionsEnded, SessionEnded
from gateway.app import create_app
from servicekit.bus import Bus
from tests.gateway.conftest import running_gateway

pytestmark = pytest.mark.integration


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def publish(settings, *events: SessionEnded | AccountSessionsEnded) -> None:
    """Publish as identity's outbox relay does."""
    bus = Bus(settings)
    await bus.broker.connect()
    try:
        await bus.declare()
        for event in events:
            await bus.publish(
                Envelope.wrap(event, producer="identity", subject="x", correlation_id="c")
            )
    finally:
        await bus.broker.stop()


async def refused_within(gw, token: str, seconds: float) -> float:
    started = time.monotonic()
    while True:
        r = await gw.get("/api/v1/me", headers=bearer(token))
        if r.status_code == 401:
            assert r.json()["code"] == "token_revoked"
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, r.status_code
        await asyncio.sleep(0.05)


async def test_logout_and_reset_reach_the_gateway_and_its_cache(
    gateway_settings, identity, keys, kid
) -> None:
    settings = gateway_settings()
    account, session, other_session = (uuid.uuid4().hex for _ in range(3))
    ended_token = keys.token(kid, sub=account, sid=session, tep=0)
    other = keys.token(kid, sub=account, sid=other_session, tep=0)
    newer = keys.token(kid, sub=account, sid=uuid.uuid4().hex, tep=1)
    app = create_app(settings)
    async with running_gateway(settings, app=app) as gw:
        feed = app.state.gateway.revoked
        for _ in range(100):  # its queue is declared in the background
            if feed.consuming:
                break
            await asyncio.sleep(0.05)
        assert feed.consuming
        for token in (ended_token, other, newer):  # verified and cached
            assert (await gw.get("/api/v1/me", headers=bearer(token))).status_code == 200

        until = datetime.now(UTC) + timedelta(minutes=15)
        await publish(
            settings,
            SessionEnded(
                session_id=session, account_id=account, reason="logout", tokens_valid_until=until
            ),
        )
        took = await refused_within(gw, ended_token, 2.0)
        assert (await gw.get("/api/v1/me", headers=bearer(other))).status_code == 200
        print(f"logout refused by the gateway after {took:.2f} s")

        await publish(
            settings,
            AccountSessionsEnded(
                account_id=account,
                token_epoch=1,
                reason="password_reset",
                tokens_valid_until=until,
            ),
        )
        await refused_within(gw, other, 2.0)
        assert (await gw.get("/api/v1/me", headers=bearer(newer))).status_code == 200

    # a gateway started afterwards (same database) refuses them from its first request
    async with running_gateway(settings) as gw:
        for token in (ended_token, other):
            r = await gw.get("/api/v1/me", headers=bearer(token))
            assert r.status_code == 401 and r.json()["code"] == "token_revoked"
        assert (await gw.get("/api/v1/me", headers=bearer(newer))).status_code == 200
