"""Issue 13, hole 2, through the real processes: logout and a password reset end the session's
access tokens at once — at the gateway (cached tokens included) and at every service reached
directly — and end the session's open event stream."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from deploy.local.mailbox import wait_for_mail
from tests.system import System

pytestmark = pytest.mark.e2e

PASSWORD = "Shokuin#2026"
NEW_PASSWORD = "Shokuin#2027x"
# a revocation reaches every process within this (the brief: a second or two)
PROMPT = 2.5


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def _staff(system: System, gw: httpx.AsyncClient) -> str:
    email = f"staff-{uuid.uuid4().hex[:8]}@hataraku.example"
    await system.create_staff(email, PASSWORD)
    return email


async def _login(gw: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    r = await gw.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    pair: dict[str, Any] = r.json()
    return pair


def _direct(system: System, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{system.ports[name]}", timeout=10)


async def _statuses(system: System, gw: httpx.AsyncClient, headers: dict[str, str]) -> list[int]:
    """``GET /api/v1/me`` at the gateway and at identity, and a jobs route, both reached
    directly (staff get 403 there while the token is good, 401 once it is revoked)."""
    async with _direct(system, "identity") as identity, _direct(system, "jobs") as jobs:
        answers = await asyncio.gather(
            gw.get("/api/v1/me", headers=headers),
            identity.get("/api/v1/me", headers=headers),
            jobs.get("/api/v1/me/saved-searches", headers=headers),
        )
    return [r.status_code for r in answers]


async def _refused_within(
    system: System, gw: httpx.AsyncClient, headers: dict[str, str], seconds: float
) -> float:
    started = time.monotonic()
    while True:
        statuses = await _statuses(system, gw, headers)
        if statuses == [401, 401, 401]:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, statuses
        await asyncio.sleep(0.05)


async def _open_stream(
    gw: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[asyncio.Task[list[str]], asyncio.Event]:
    """An event stream through the gateway, read until it ends; the event is set once it is
    open."""
    opened = asyncio.Event()

    async def read() -> list[str]:
        lines: list[str] = []
        async with gw.stream(
            "GET", "/api/v1/me/events", headers=headers, timeout=httpx.Timeout(30, read=60)
        ) as r:
            assert r.status_code == 200
            async for line in r.aiter_lines():
                lines.append(line)
                if line == ": connected":
                    opened.set()
        return lines

    task = asyncio.create_task(read())
    await asyncio.wait_for(opened.wait(), timeout=10)
    return task, opened


async def test_logout_ends_the_sessions_tokens_and_stream_everywhere(
    system: System, gw: httpx.AsyncClient
) -> None:
    email = await _staff(system, gw)
    first, second = await _login(gw, email), await _login(gw, email)
    assert await _statuses(system, gw, bearer(first)) == [200, 200, 403]
    stream, _ = await _open_stream(gw, bearer(first))
    other_stream, _ = await _open_stream(gw, bearer(second))

    r = await gw.post(
        "/api/v1/auth/logout",
        json={"refresh_token": first["refresh_token"]},  # no access token: found by the refresh
    )
    assert r.status_code == 204
    took = await _refused_within(system, gw, bearer(first), PROMPT)
    r = await gw.get("/api/v1/me", headers=bearer(first))
    assert r.json()["code"] == "token_revoked"
    assert r.headers["content-type"].startswith("application/problem+json")

    # the session's stream ended (at the notifier, and so through the gateway)
    await asyncio.wait_for(stream, timeout=PROMPT)
    # the other session is untouched: its token and its stream still work
    assert await _statuses(system, gw, bearer(second)) == [200, 200, 403]
    assert not other_stream.done()
    other_stream.cancel()
    print(f"logout refused everywhere after {took:.2f} s")


async def test_a_replica_started_after_the_logout_refuses_the_token(
    system: System, gw: httpx.AsyncClient
) -> None:
    email = await _staff(system, gw)
    pair = await _login(gw, email)
    assert (await gw.post("/api/v1/auth/logout", headers=bearer(pair), json={})).status_code == 204
    await _refused_within(system, gw, bearer(pair), PROMPT)
    system.stop("jobs")
    system.start("jobs")
    system.wait_ready("jobs")
    async with _direct(system, "jobs") as jobs:
        r = await jobs.get("/api/v1/me/saved-searches", headers=bearer(pair))
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


async def test_a_password_reset_ends_every_older_token(
    system: System, gw: httpx.AsyncClient
) -> None:
    email = await _staff(system, gw)
    first, second = await _login(gw, email), await _login(gw, email)
    for pair in (first, second):
        assert await _statuses(system, gw, bearer(pair)) == [200, 200, 403]
    stream, _ = await _open_stream(gw, bearer(second))

    r = await gw.post("/api/v1/auth/password-reset", json={"email": email})
    assert r.status_code == 202
    mail = await wait_for_mail(system.mail_dir, to=email)
    assert mail.auth_key
    r = await gw.post(
        "/api/v1/auth/password-reset/complete",
        json={"email": email, "auth_key": mail.auth_key, "password": NEW_PASSWORD},
    )
    assert r.status_code == 200, r.text

    for pair in (first, second):
        await _refused_within(system, gw, bearer(pair), PROMPT)
    await asyncio.wait_for(stream, timeout=PROMPT)
    # a token issued after the reset works at once
    fresh = await _login(gw, email, NEW_PASSWORD)
    assert await _statuses(system, gw, bearer(fresh)) == [200, 200, 403]
